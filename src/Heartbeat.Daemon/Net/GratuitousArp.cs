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

    /// <summary>An AF_PACKET socket for ARP frames, opened once and kept, so an announcement needs no socket call first.</summary>
    internal static FileDescriptorHandle OpenSocket() => SocketCall.Open(SocketCall.AfPacket, SocketCall.SockDgram, BinaryPrimitives.ReverseEndianness(EthPArp));

    /// <summary>
    /// Sends the first round (request + reply) at once and returns the task of the remaining rounds, which run in the
    /// background as send_arp does behind IPaddr2: the address is usable after the first round, and a stop or a
    /// handover must not wait for the rest. Cancel to stop announcing (the address was given up). The socket is the
    /// caller's (see <see cref="OpenSocket"/>) and stays open; the frames are built ahead (<see cref="ArpFrames.For"/>),
    /// so the first round allocates nothing.
    /// </summary>
    internal static Task<int> Announce(FileDescriptorHandle socket, ArpFrames frames, ArpAnnouncement announcement, CancellationToken cancellation)
    {
        if (announcement.Count <= 0)
        {
            return Task.FromResult(0);
        }

        SendToCall.SendTo(socket, frames.Request, frames.Destination);
        SendToCall.SendTo(socket, frames.Reply, frames.Destination);
        return announcement.Count == 1 ? Task.FromResult(2) : RemainingRoundsAsync(socket, frames.Destination, frames.Request, frames.Reply, announcement, cancellation);
    }

    private static async Task<int> RemainingRoundsAsync(FileDescriptorHandle socket, SockAddrLl destination, byte[] request, byte[] reply, ArpAnnouncement announcement, CancellationToken cancellation)
    {
        int sent = 2;
        try
        {
            for (int round = 1; round < announcement.Count; round++)
            {
                await Task.Delay(announcement.Spacing, cancellation).ConfigureAwait(false);
                SendToCall.SendTo(socket, request, destination);
                SendToCall.SendTo(socket, reply, destination);
                sent += 2;
            }
        }
        catch (OperationCanceledException)
        {
            // The address was given up: stop announcing it.
        }
        catch (Exception ex) when (ex is NativeCallException or ObjectDisposedException)
        {
            // The interface went away (the monitor will notice the address is gone), or the daemon is exiting.
        }

        return sent;
    }

    internal static unsafe SockAddrLl BroadcastTo(int ifIndex)
    {
        var address = new SockAddrLl
        {
            Family = SocketCall.AfPacket,
            Protocol = BinaryPrimitives.ReverseEndianness(EthPArp),
            IfIndex = ifIndex,
            HaLen = 6,
        };
        for (int i = 0; i < 6; i++)
        {
            address.Addr[i] = 0xFF;
        }

        return address;
    }
}

/// <summary>The two frames of one announcement round and where they go, built once per placement.</summary>
internal sealed class ArpFrames
{
    private ArpFrames(byte[] request, byte[] reply, SockAddrLl destination)
    {
        Request = request;
        Reply = reply;
        Destination = destination;
    }

    public byte[] Request { get; }

    public byte[] Reply { get; }

    public SockAddrLl Destination { get; }

    public static ArpFrames For(int ifIndex, byte[] mac, IPAddress address) =>
        new(GratuitousArp.Build(mac, address, reply: false), GratuitousArp.Build(mac, address, reply: true), GratuitousArp.BroadcastTo(ifIndex));
}
