using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Heartbeat.Daemon.Media;

/// <summary>What a medium needs to know about its interface: index, first IPv4 address and its broadcast address.</summary>
public sealed record InterfaceAddresses(string Name, int Index, IPAddress Address, IPAddress Broadcast)
{
    /// <summary>Looks the interface up; a clear error when it is missing or has no IPv4 address with a netmask.</summary>
    public static InterfaceAddresses Find(string name)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
            ?? throw new MediumException(name, "no such network interface");
        var properties = nic.GetIPProperties();
        var unicast = properties.UnicastAddresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new MediumException(name, "the interface has no IPv4 address");
        byte[] address = unicast.Address.GetAddressBytes();
        byte[] mask = unicast.IPv4Mask.GetAddressBytes();
        byte[] broadcast = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            broadcast[i] = (byte)(address[i] | ~mask[i]);
        }

        return new InterfaceAddresses(name, properties.GetIPv4Properties().Index, unicast.Address, new IPAddress(broadcast));
    }
}

/// <summary>A medium that cannot be opened; names the interface and the reason.</summary>
public sealed class MediumException(string iface, string problem, Exception? inner = null) : Exception($"{iface}: {problem}", inner)
{
    public string Interface { get; } = iface;
}
