using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Machine;

/// <summary>Host facts read from this machine: uname -n, the interfaces and DNS.</summary>
public sealed class SystemHostFacts : IHostFacts
{
    private readonly Lazy<NetworkInterface[]> _interfaces = new(NetworkInterface.GetAllNetworkInterfaces);

    /// <summary>.NET's MachineName is gethostname(2), the same string as uname -n on Linux.</summary>
    public string NodeName => Environment.MachineName;

    public InterfaceFacts? FindInterface(string name)
    {
        var nic = _interfaces.Value.FirstOrDefault(n => n.Name == name);
        if (nic is null)
        {
            return null;
        }

        var ipv4 = nic.GetIPProperties().UnicastAddresses.Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork).ToArray();

        // A /32 or /31 address has no broadcast. Whether 'brd' was given when the address was added is not visible
        // here; the netlink reader of the daemon sees it.
        bool broadcast = ipv4.Any(a => a.PrefixLength < 31) && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback;
        return new InterfaceFacts(name, ipv4.Length > 0, broadcast);
    }

    public bool CanResolve(string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address.AddressFamily == AddressFamily.InterNetwork;
        }

        try
        {
            return Dns.GetHostAddresses(host, AddressFamily.InterNetwork).Length > 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
