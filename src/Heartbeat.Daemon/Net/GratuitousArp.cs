using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Net;

/// <summary>How a VIP is announced: <c>send_arp</c>'s default, 5 rounds 200 ms apart, each an ARP request and an ARP reply.</summary>
public sealed record ArpAnnouncement(int Count = 5, TimeSpan? Interval = null)
{
    public TimeSpan Spacing => Interval ?? TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// Gratuitous ARP over an AF_PACKET socket, compatible with Heartbeat's <c>send_arp</c>: Ethernet broadcast, sender
/// MAC and IP = the interface's MAC and the VIP, target IP = the VIP; the request has a zero target MAC (RFC 5227
/// announcement), the reply the broadcast MAC, so both switches and hosts that only learn from one kind update.
/// </summary>
public static class GratuitousArp
{
    public const ushort EthPArp = 0x0806;
    private const ushort ArpHardwareEthernet = 1;
    private const ushort EthPIp = 0x0800;

    /// <summary>The 28-byte ARP body (struct ether_arp) for one announcement.</summary>
    public static unsafe byte[] Build(ReadOnlySpan<byte> mac, IPAddress address, bool reply)
    {
        if (mac.Length != 6)
        {
            throw new ArgumentException($"an Ethernet MAC has 6 bytes, not {mac.Length}", nameof(mac));
        }

        var arp = new EtherArp
        {
            HardwareType = BinaryPrimitives.ReverseEndianness(ArpHardwareEthernet),
            ProtocolType = BinaryPrimitives.ReverseEndianness(EthPIp),
            HardwareLength = 6,
            ProtocolLength = 4,
            Operation = BinaryPrimitives.ReverseEndianness((ushort)(reply ? 2 : 1)),
        };
        byte[] ip = address.GetAddressBytes();
        for (int i = 0; i < 6; i++)
        {
            arp.SenderHardware[i] = mac[i];
            arp.TargetHardware[i] = reply ? (byte)0xFF : (byte)0;
        }

        for (int i = 0; i < 4; i++)
        {
            arp.SenderProtocol[i] = ip[i];
            arp.TargetProtocol[i] = ip[i];
        }

        byte[] bytes = new byte[sizeof(EtherArp)];
        MemoryMarshal.Write(bytes, in arp);
        return bytes;
    }

    /// <summary>
    /// An AF_PACKET socket for announcement frames, opened once and kept, so an announcement needs no socket call
    /// first. The frames' EtherType comes from each destination's sll_protocol, so the same socket sends the IPv6
    /// neighbour advertisements (<see cref="NeighborAdvertisement"/>).
    /// </summary>
    internal static FileDescriptorHandle OpenSocket() => SocketCall.Open(SocketCall.AfPacket, SocketCall.SockDgram, BinaryPrimitives.ReverseEndianness(EthPArp));

    /// <summary>
    /// Sends the first round (request + reply, or one neighbour advertisement) of every VIP at once and returns the task
    /// of the remaining rounds, which run in the background as send_arp does behind IPaddr2, all VIPs' round in one
    /// timer tick and one sendmmsg (<see cref="AnnouncementTrain"/>): an address is usable after the first round, and a stop or a
    /// handover must not wait for the rest. Cancel a VIP's token to stop announcing it (the address was given up). The
    /// socket is the caller's (see <see cref="OpenSocket"/>) and stays open; the frames are built ahead
    /// (<see cref="AnnouncementFrames"/>). <paramref name="failures"/>: per VIP, what failed its first round (null: sent).
    /// </summary>
    internal static Task<int> Announce(FileDescriptorHandle socket, IReadOnlyList<AnnouncementTrain.Member> members, ArpAnnouncement announcement, out Exception?[] failures) =>
        AnnouncementTrain.Start(members, announcement, frames => SendFrames(socket, frames), static (spacing, cancellation) => Task.Delay(spacing, cancellation), out failures);

    /// <summary>A round's frames in one sendmmsg (as far as it goes: the train sends the rest again).</summary>
    private static int SendFrames(FileDescriptorHandle socket, ReadOnlySpan<AnnouncementTrain.Frame> frames)
    {
        int count = Math.Min(frames.Length, SendMmsgCall.MaxMessages);
        var datagrams = new byte[count][];
        var destinations = new SockAddrLl[count];
        for (int i = 0; i < count; i++)
        {
            datagrams[i] = frames[i].Bytes;
            destinations[i] = frames[i].Frames.Destination;
        }

        return SendMmsgCall.SendMany(socket, datagrams, destinations);
    }

    internal static SockAddrLl BroadcastTo(int ifIndex) => LinkDestination(ifIndex, EthPArp, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

    /// <summary>Where an AF_PACKET datagram goes: the interface, the frame's EtherType and the destination MAC.</summary>
    internal static unsafe SockAddrLl LinkDestination(int ifIndex, ushort etherType, ReadOnlySpan<byte> mac)
    {
        var address = new SockAddrLl
        {
            Family = SocketCall.AfPacket,
            Protocol = BinaryPrimitives.ReverseEndianness(etherType),
            IfIndex = ifIndex,
            HaLen = (byte)mac.Length,
        };
        for (int i = 0; i < mac.Length; i++)
        {
            address.Addr[i] = mac[i];
        }

        return address;
    }
}

/// <summary>
/// The frames of one announcement round and where they go, built once per placement: for IPv4 an ARP request and
/// reply to the broadcast MAC, for IPv6 one unsolicited neighbour advertisement to the all-nodes MAC.
/// </summary>
internal sealed class AnnouncementFrames
{
    private AnnouncementFrames(byte[][] round, SockAddrLl destination, string kind, string firstFrame)
    {
        Round = round;
        Destination = destination;
        Kind = kind;
        FirstFrame = firstFrame;
    }

    public byte[][] Round { get; }

    public SockAddrLl Destination { get; }

    /// <summary>What a round is, for the start's report ("gratuitous ARP", "unsolicited neighbour advertisements").</summary>
    public string Kind { get; }

    /// <summary>What the first frame is, for the takeover's timing line ("gratuitous ARP", "neighbour advertisement").</summary>
    public string FirstFrame { get; }

    /// <param name="router">For IPv6: the interface forwards, so the advertisement carries the router flag.</param>
    public static AnnouncementFrames For(int ifIndex, byte[] mac, IPAddress address, bool router) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? new([NeighborAdvertisement.Build(mac, address, router)], NeighborAdvertisement.AllNodesOn(ifIndex), "unsolicited neighbour advertisements", "neighbour advertisement")
            : new([GratuitousArp.Build(mac, address, reply: false), GratuitousArp.Build(mac, address, reply: true)], GratuitousArp.BroadcastTo(ifIndex), "gratuitous ARP", "gratuitous ARP");
}
