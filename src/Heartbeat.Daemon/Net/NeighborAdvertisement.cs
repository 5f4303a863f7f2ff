using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Net;

/// <summary>
/// Unsolicited neighbour advertisements (RFC 4861 §7.2.6), IPv6's gratuitous ARP: what IPv6addr's send_ua sends after
/// adding the address, so that hosts and switches on the link move the VIP to this node's MAC. Built whole (IPv6 header,
/// ICMPv6 type 136, target link-layer address option) and sent over the same AF_PACKET socket as the ARP frames, to the
/// all-nodes MAC: no ICMPv6 socket, no route lookup, nothing that needs the address usable first, and every byte is
/// prepared before a takeover.
/// </summary>
public static class NeighborAdvertisement
{
    public const ushort EthPIpv6 = 0x86DD;

    /// <summary>The IPv6 header (40) + the NA (24) + the target link-layer address option (8).</summary>
    public const int Length = 72;

    private const byte IcmpV6 = 58;
    private const byte NeighborAdvertisementType = 136;
    private const byte RouterFlag = 0x80;
    private const byte OverrideFlag = 0x20;
    private const byte TargetLinkLayerAddressOption = 2;

    /// <summary>ff02::1, the link's all-nodes group.</summary>
    public static readonly IPAddress AllNodes = IPAddress.Parse("ff02::1");

    /// <summary>
    /// The whole IPv6 packet of one advertisement: source and target the VIP (as the kernel's own unsolicited NAs), to
    /// ff02::1 with hop limit 255 (receivers drop anything less); override set, so neighbour caches that hold the old
    /// holder's MAC take ours; solicited clear (it answers no solicitation); router set only when the interface forwards,
    /// else a host that learns the flag from us would stop using this address's node as a router, or start.
    /// </summary>
    public static byte[] Build(ReadOnlySpan<byte> mac, IPAddress target, bool router)
    {
        if (mac.Length != 6)
        {
            throw new ArgumentException($"an Ethernet MAC has 6 bytes, not {mac.Length}", nameof(mac));
        }

        if (target.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"{target} is not an IPv6 address", nameof(target));
        }

        byte[] packet = new byte[Length];
        var span = packet.AsSpan();

        // IPv6 header: version 6, traffic class and flow label 0.
        span[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], Length - 40);
        span[6] = IcmpV6;
        span[7] = 255;
        target.TryWriteBytes(span.Slice(8, 16), out _);
        AllNodes.TryWriteBytes(span.Slice(24, 16), out _);

        // ICMPv6 neighbour advertisement: type, code, checksum (below), flags and 29 reserved bits, target address.
        var icmp = span[40..];
        icmp[0] = NeighborAdvertisementType;
        icmp[4] = (byte)(OverrideFlag | (router ? RouterFlag : 0));
        target.TryWriteBytes(icmp.Slice(8, 16), out _);

        // Option: target link-layer address, length in units of 8 bytes.
        icmp[24] = TargetLinkLayerAddressOption;
        icmp[25] = 1;
        mac.CopyTo(icmp[26..]);

        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(span.Slice(8, 16), span.Slice(24, 16), icmp));
        return packet;
    }

    /// <summary>
    /// The ICMPv6 checksum (RFC 4443 §2.3): the ones' complement of the ones' complement sum over the pseudo-header
    /// (source, destination, upper-layer length, next header) and the message, its checksum field zero.
    /// </summary>
    public static ushort Checksum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> message)
    {
        uint sum = Sum(source) + Sum(destination) + (uint)message.Length + IcmpV6;
        sum += Sum(message[..2]) + Sum(message[4..]);
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static uint Sum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < bytes.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]);
        }

        if (i < bytes.Length)
        {
            sum += (uint)bytes[i] << 8;
        }

        return sum;
    }

    /// <summary>To the all-nodes group's MAC (33:33:00:00:00:01) on the interface, as an IPv6 frame.</summary>
    internal static SockAddrLl AllNodesOn(int ifIndex) => GratuitousArp.LinkDestination(ifIndex, EthPIpv6, [0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);

    /// <summary>Whether the interface forwards IPv6 (the advertisement's router flag); false when it cannot be read.</summary>
    public static bool Forwards(string iface)
    {
        try
        {
            return File.ReadAllText($"/proc/sys/net/ipv6/conf/{iface}/forwarding").Trim() == "1";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
