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

    /// <summary>
    /// For the IPv6 media (mcast6, ucast6), which need the interface's index only: the interface must exist and have
    /// IPv6 (a link-local address at least); an IPv4 address is not required. Address and Broadcast are ::.
    /// </summary>
    public static InterfaceAddresses FindIpv6(string name)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
            ?? throw new MediumException(name, "no such network interface");
        var properties = nic.GetIPProperties();
        if (!nic.Supports(NetworkInterfaceComponent.IPv6) || properties.GetIPv6Properties() is not { } ipv6)
        {
            throw new MediumException(name, "the interface has no IPv6 (is IPv6 disabled on it?)");
        }

        return new InterfaceAddresses(name, ipv6.Index, IPAddress.IPv6Any, IPAddress.IPv6Any);
    }
}

/// <summary>A medium that cannot be opened; names the interface and the reason.</summary>
public sealed class MediumException(string iface, string problem, Exception? inner = null) : Exception($"{iface}: {problem}", inner)
{
    public string Interface { get; } = iface;
}
