using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Heartbeat.Daemon.Interop;
using Heartbeat.Daemon.Media;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Ping;

namespace Heartbeat.Daemon.Ping;

/// <summary>
/// The raw ICMP sockets of the ping nodes (3.0.6's ping plugins open SOCK_RAW too): one for IPv4 (ping, ping_group),
/// one for ICMPv6 (ping6), each filtered in the kernel to echo replies, read by the event loop in the same poll set as
/// the media. Each ping node's hosts are resolved once at start (3.0.6 resolves them when it reads ha.cf) into
/// sockaddr form, so a probe is one sendto(2) per host and nothing allocated.
/// </summary>
public sealed class PingSockets : IDisposable
{
    /// <summary>SOL_RAW / ICMP_FILTER (linux/icmp.h): a 32-bit mask of the ICMP types to drop.</summary>
    private const int SolRaw = 255;
    private const int IcmpFilter = 1;

    /// <summary>IPPROTO_ICMPV6 / ICMP6_FILTER (netinet/icmp6.h): 256 bits, a set bit blocks that type.</summary>
    private const int IcmpV6Level = 58;
    private const int Icmp6Filter = 1;

    private readonly Socket? _socket4;
    private readonly Socket? _socket6;
    private readonly SockAddrIn[][] _targets4;
    private readonly SockAddrIn6[][] _targets6;

    /// <summary>One packet as read, kept until the loop hands it to the node (at most 64 KiB, like the media's).</summary>
    private readonly byte[] _buffer = new byte[65536];
    private int _length;

    private PingSockets(Socket? socket4, Socket? socket6, SockAddrIn[][] targets4, SockAddrIn6[][] targets6, ImmutableArray<string> described)
    {
        _socket4 = socket4;
        _socket6 = socket6;
        _targets4 = targets4;
        _targets6 = targets6;
        Described = described;
    }

    /// <summary>"ping 10.0.0.254 (10.0.0.254)" per node, for the start-up log.</summary>
    public ImmutableArray<string> Described { get; }

    /// <summary>The IPv4 socket's descriptor, or -1 (poll skips it).</summary>
    public int Descriptor4 => _socket4 is null ? -1 : (int)_socket4.Handle;

    public int Descriptor6 => _socket6 is null ? -1 : (int)_socket6.Handle;

    public long Sent { get; private set; }

    public long SendErrors { get; private set; }

    /// <summary>Opens what the ping nodes need (nothing without ping nodes); a host that does not resolve stops the start.</summary>
    public static PingSockets Open(ImmutableArray<PingNodeEntry> nodes)
    {
        var targets4 = new SockAddrIn[nodes.Length][];
        var targets6 = new SockAddrIn6[nodes.Length][];
        var described = ImmutableArray.CreateBuilder<string>();
        for (int i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            var addresses = node.Hosts.Select(h => Resolve(node, h)).ToArray();
            targets4[i] = node.Kind == PingKind.Ping6 ? [] : [.. addresses.Select(a => SockAddrIn.From(new IPEndPoint(a, 0)))];
            targets6[i] = node.Kind == PingKind.Ping6 ? [.. addresses.Select(a => SockAddrIn6.From(new IPEndPoint(a, 0)))] : [];
            described.Add($"{node.Describe()} ({string.Join(' ', addresses.Select(a => a.ToString()))})");
        }

        Socket? socket4 = null;
        Socket? socket6 = null;
        try
        {
            if (nodes.Any(n => n.Kind != PingKind.Ping6))
            {
                socket4 = OpenRaw(AddressFamily.InterNetwork, ProtocolType.Icmp);

                // Everything but echo replies (type 0) is dropped in the kernel: a flood of requests never wakes us.
                Span<byte> mask = stackalloc byte[4];
                BitConverter.TryWriteBytes(mask, ~1u);
                socket4.SetRawSocketOption(SolRaw, IcmpFilter, mask);
            }

            if (nodes.Any(n => n.Kind == PingKind.Ping6))
            {
                socket6 = OpenRaw(AddressFamily.InterNetworkV6, ProtocolType.IcmpV6);
                Span<byte> filter = stackalloc byte[32];
                filter.Fill(0xFF);
                filter[IcmpEcho.EchoReply6 >> 3] &= unchecked((byte)~(1 << (IcmpEcho.EchoReply6 & 7)));
                socket6.SetRawSocketOption(IcmpV6Level, Icmp6Filter, filter);
            }
        }
        catch (SocketException ex)
        {
            socket4?.Dispose();
            socket6?.Dispose();
            throw new MediumException("ping", $"Can't open RAW socket.: {ex.Message} (ping nodes need CAP_NET_RAW)", ex);
        }

        return new PingSockets(socket4, socket6, targets4, targets6, described.ToImmutable());
    }

    /// <summary>Sends one echo request to every host of its node; failures are counted (3.0.6 logs "Error sending packet").</summary>
    public void Send(OutgoingEcho echo)
    {
        var socket = echo.Ipv6 ? _socket6 : _socket4;
        if (socket is null)
        {
            return;
        }

        try
        {
            if (echo.Ipv6)
            {
                foreach (var target in _targets6[echo.Node])
                {
                    Count(SendToCall.TrySendTo(socket.SafeHandle, echo.Packet.Span, target));
                }
            }
            else
            {
                foreach (var target in _targets4[echo.Node])
                {
                    Count(SendToCall.TrySendTo(socket.SafeHandle, echo.Packet.Span, target));
                }
            }
        }
        catch (ObjectDisposedException)
        {
            SendErrors++; // shutting down
        }
    }

    /// <summary>Reads one packet from a socket poll reported readable; false with the errno when none was read.</summary>
    public bool TryReceive(bool ipv6, out int errno)
    {
        var socket = ipv6 ? _socket6 : _socket4;
        _length = 0;
        if (socket is null)
        {
            errno = RecvCall.Eagain;
            return false;
        }

        try
        {
            errno = RecvCall.TryReceive(socket.SafeHandle, _buffer, out _length);
        }
        catch (ObjectDisposedException)
        {
            errno = MediumSender.ClosedErrno;
        }

        return errno == 0;
    }

    /// <summary>The packet <see cref="TryReceive"/> read, valid until the next read.</summary>
    public ReadOnlySpan<byte> Received => _buffer.AsSpan(0, _length);

    public void Dispose()
    {
        _socket4?.Dispose();
        _socket6?.Dispose();
    }

    private void Count(int errno)
    {
        if (errno == 0)
        {
            Sent++;
        }
        else
        {
            SendErrors++;
        }
    }

    private static Socket OpenRaw(AddressFamily family, ProtocolType protocol)
    {
        var socket = new Socket(family, SocketType.Raw, protocol);
        socket.Blocking = false;
        return socket;
    }

    /// <summary>An address as written, or the host name's first address of the plugin's family (3.0.6: gethostbyname).</summary>
    private static IPAddress Resolve(PingNodeEntry node, string host)
    {
        var family = node.Kind == PingKind.Ping6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        try
        {
            return Dns.GetHostAddresses(host, family).FirstOrDefault() ?? throw new MediumException("ping", $"unknown host: {host} (no {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address)");
        }
        catch (SocketException ex)
        {
            throw new MediumException("ping", $"unknown host: {host}: {ex.Message}", ex);
        }
    }
}
