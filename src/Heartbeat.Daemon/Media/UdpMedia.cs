using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Heartbeat.Daemon.Interop;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Daemon.Media;

/// <summary>
/// A datagram as received: the first <paramref name="Length"/> bytes of a buffer rented from
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/>, and the interface of the medium that read it. Whoever consumes it
/// calls <see cref="Return"/>: datagrams cost no allocation in steady state.
/// </summary>
public readonly record struct ReceivedDatagram(byte[] Buffer, int Length, string Interface)
{
    public ReadOnlyMemory<byte> Bytes => Buffer.AsMemory(0, Length);

    public void Return() => System.Buffers.ArrayPool<byte>.Shared.Return(Buffer);
}

/// <summary>One configured medium's sending side: a socket of its own (an unbound, random source port, as in 3.0.6).</summary>
public sealed class MediumSender : IDisposable
{
    private readonly Socket _socket;

    /// <summary>The socket as the system calls take it: set up through <see cref="Socket"/>, written straight with sendto(2).</summary>
    private readonly SafeSocketHandle _handle;

    private MediumSender(Medium medium, Socket socket, IPEndPoint destination)
    {
        Medium = medium;
        _socket = socket;
        _handle = socket.SafeHandle;
        Destination = destination;
        _ipv6 = destination.AddressFamily == AddressFamily.InterNetworkV6;
        if (_ipv6)
        {
            _destinationAddress6 = SockAddrIn6.From(destination);
        }
        else
        {
            _destinationAddress = SockAddrIn.From(destination);
        }
    }

    /// <summary>The destination already in sockaddr form, built once (sockaddr_in6 for mcast6 and ucast6).</summary>
    private readonly SockAddrIn _destinationAddress;
    private readonly SockAddrIn6 _destinationAddress6;
    private readonly bool _ipv6;

    public Medium Medium { get; }

    public string Interface => Medium.Interface;

    public IPEndPoint Destination { get; }

    public static MediumSender Open(Medium medium, InterfaceAddresses nic)
    {
        var socket = new Socket(IsIpv6(medium) ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            SocketOptions.BindToDevice(socket, medium.Interface);
            IPEndPoint destination;
            switch (medium)
            {
                case BroadcastMedium b:
                    socket.EnableBroadcast = true;
                    SocketOptions.DontRoute(socket);
                    destination = new IPEndPoint(nic.Broadcast, b.Port);
                    break;
                case MulticastMedium m:
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, BitConverter.ToInt32(nic.Address.GetAddressBytes()));
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, m.Ttl);
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, m.Loop);
                    destination = new IPEndPoint(m.Group, m.Port);
                    break;
                case UnicastMedium u:
                    // 3.0.6 marks unicast heartbeats with TOS 0x10 (low delay).
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, 0x10);
                    destination = new IPEndPoint(ResolvePeer(u.Interface, u.Peer, AddressFamily.InterNetwork), u.Port);
                    break;
                case Multicast6Medium m6:
                    // 3.0.6's mcast6: the outbound interface, hop limit and loopback of the ha.cf line.
                    socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, nic.Index);
                    socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, m6.Hops);
                    socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, m6.Loop);
                    destination = new IPEndPoint(WithScope(m6.Group, nic.Index), m6.Port);
                    break;
                case Unicast6Medium u6:
                    destination = new IPEndPoint(WithScope(ResolvePeer(u6.Interface, u6.Peer, AddressFamily.InterNetworkV6), nic.Index), u6.Port);
                    break;
                default:
                    throw new MediumException(medium.Interface, $"medium '{medium.Describe()}' is not supported");
            }

            return new MediumSender(medium, socket, destination);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new MediumException(medium.Interface, $"cannot open '{medium.Describe()}': {ex.Message}", ex);
        }
    }

    private long _sent;
    private long _sendErrors;

    /// <summary>Datagrams sent on this medium (readable from any thread).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Sends one datagram; returns the errno (0: sent) instead of throwing, so one bad medium never stops the others.</summary>
    public int Send(ReadOnlySpan<byte> datagram)
    {
        int errno;
        try
        {
            errno = _ipv6 ? SendToCall.TrySendTo(_handle, datagram, _destinationAddress6) : SendToCall.TrySendTo(_handle, datagram, _destinationAddress);
        }
        catch (ObjectDisposedException)
        {
            errno = ClosedErrno;
        }

        Interlocked.Increment(ref errno == 0 ? ref _sent : ref _sendErrors);
        return errno;
    }

    /// <summary>EBADF: what a closed socket reports (the daemon is shutting down).</summary>
    internal const int ClosedErrno = Errno.Ebadf;

    public void Dispose() => _socket.Dispose();

    /// <summary>Whether the medium is one of 3.0.6's IPv6 plugins (mcast6, ucast6).</summary>
    internal static bool IsIpv6(Medium medium) => medium is Multicast6Medium or Unicast6Medium;

    /// <summary>
    /// A link-local or link-scope multicast address is only meaningful with its interface (3.0.6's ucast6 appends
    /// %dev to the peer for getaddrinfo); any other address keeps scope 0.
    /// </summary>
    private static IPAddress WithScope(IPAddress address, int index)
    {
        bool linkScoped = address.IsIPv6LinkLocal || (address.IsIPv6Multicast && (address.GetAddressBytes()[1] & 0x0F) <= 2);
        return linkScoped ? new IPAddress(address.GetAddressBytes(), index) : address;
    }

    /// <summary>A ucast (IPv4) or ucast6 (IPv6) peer: an address as written, or a host name's first address of that family.</summary>
    private static IPAddress ResolvePeer(string iface, string peer, AddressFamily family)
    {
        if (IPAddress.TryParse(peer, out var address))
        {
            return address;
        }

        string kind = family == AddressFamily.InterNetworkV6 ? "ucast6" : "ucast";
        try
        {
            return Dns.GetHostAddresses(peer, family).FirstOrDefault()
                ?? throw new MediumException(iface, $"{kind} peer '{peer}' has no {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address");
        }
        catch (SocketException ex)
        {
            throw new MediumException(iface, $"{kind} peer '{peer}' does not resolve: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// One receiving socket. bcast and ucast media of one interface and port share a socket bound to 0.0.0.0:port on that
/// device (3.0.6 takes any datagram to the port there); an mcast medium has its own, bound to group:port. The IPv6
/// media likewise: ucast6 on [::]:port, mcast6 on [group]:port, IPv6 only (the IPv4 sockets take the IPv4 datagrams).
/// </summary>
public sealed class MediumReceiver : IDisposable
{
    private readonly Socket _socket;

    /// <summary>The socket as the system calls take it: set up through <see cref="Socket"/>, read straight with recv(2).</summary>
    private readonly SafeSocketHandle _handle;

    private MediumReceiver(string iface, Socket socket, string description)
    {
        Interface = iface;
        _socket = socket;
        _handle = socket.SafeHandle;
        Description = description;
    }

    /// <summary>3.0.6's receive buffer is 262 143 bytes; nothing larger than a UDP payload can arrive anyway.</summary>
    private readonly byte[] _buffer = new byte[65536];

    /// <summary>The socket's descriptor, for the event loop's poll set.</summary>
    public int Descriptor => (int)_socket.Handle;

    private long _received;

    public string Interface { get; }

    public string Description { get; }

    /// <summary>Datagrams read from this socket, whatever became of them (readable from any thread).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>What identifies a receiving socket: media with the same key share one.</summary>
    public static (string Interface, IPAddress Bind, int Port) KeyOf(Medium medium) => medium switch
    {
        MulticastMedium m => (m.Interface, m.Group, m.Port),
        BroadcastMedium b => (b.Interface, IPAddress.Any, b.Port),
        UnicastMedium u => (u.Interface, IPAddress.Any, u.Port),
        Multicast6Medium m6 => (m6.Interface, m6.Group, m6.Port),
        Unicast6Medium u6 => (u6.Interface, IPAddress.IPv6Any, u6.Port),
        _ => throw new MediumException(medium.Interface, $"medium '{medium.Describe()}' is not supported"),
    };

    public static MediumReceiver Open(Medium medium, InterfaceAddresses nic)
    {
        var (iface, bind, port) = KeyOf(medium);
        var socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false; // IPV6_V6ONLY
            }

            // Several of our receivers (and a test's second daemon on another device) may share the port.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            SocketOptions.BindToDevice(socket, iface);
            socket.ReceiveBufferSize = 1 << 20;

            // Read by the event loop after poll(2) says readable; non-blocking, because a datagram poll reported can
            // still be dropped by the kernel at read time (a bad UDP checksum), and a blocking read would then hang.
            socket.Blocking = false;
            socket.Bind(new IPEndPoint(bind, port));
            try
            {
                SocketOptions.DropLoopedBackCopies(socket);
            }
            catch (SocketException)
            {
                // A kernel without socket filters: the copies arrive, and the engine ignores its own packets as 3.0.6
                // does; they only cost CPU.
            }

            if (medium is MulticastMedium m)
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(m.Group, nic.Index));
            }
            else if (medium is Multicast6Medium m6)
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(m6.Group, nic.Index));
            }

            return new MediumReceiver(iface, socket, $"{new IPEndPoint(bind, port)} on {iface}");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new MediumException(iface, $"cannot listen on {bind}:{port}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Reads one datagram if one is queued, into a buffer rented from the shared pool (the consumer returns it): the
    /// event loop calls this when poll(2) reported the socket readable, so a heartbeat costs the daemon one wake-up.
    /// </summary>
    /// <returns>False with the errno: <see cref="RecvCall.Eagain"/> when nothing is left to read, or the error.</returns>
    public bool TryReceive(out ReceivedDatagram datagram, out int errno)
    {
        datagram = default;
        int received;
        try
        {
            // The source address is in the message itself; recv(2) does not ask for it.
            errno = RecvCall.TryReceive(_handle, _buffer, out received);
        }
        catch (ObjectDisposedException)
        {
            errno = MediumSender.ClosedErrno;
            return false;
        }

        if (errno != 0)
        {
            return false;
        }

        Interlocked.Increment(ref _received);
        byte[] copy = System.Buffers.ArrayPool<byte>.Shared.Rent(received);
        _buffer.AsSpan(0, received).CopyTo(copy);
        datagram = new ReceivedDatagram(copy, received, Interface);
        return true;
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>All media of ha.cf, opened together: a sender per medium, receivers de-duplicated.</summary>
public sealed class MediaSet : IDisposable
{
    private MediaSet(ImmutableArray<MediumSender> senders, ImmutableArray<MediumReceiver> receivers)
    {
        Senders = senders;
        Receivers = receivers;
    }

    // ImmutableArray rather than IReadOnlyList: the loop sends every datagram through each sender, and a foreach over
    // an interface boxes the list's enumerator (~40 bytes a datagram, the daemon's whole steady-state garbage at fast
    // timers); the struct enumerator of an ImmutableArray allocates nothing.
    public ImmutableArray<MediumSender> Senders { get; }

    public ImmutableArray<MediumReceiver> Receivers { get; }

    public static MediaSet Open(IEnumerable<Medium> media)
    {
        var senders = new List<MediumSender>();
        var receivers = new Dictionary<(string, IPAddress, int), MediumReceiver>();
        try
        {
            foreach (var medium in media)
            {
                var nic = MediumSender.IsIpv6(medium) ? InterfaceAddresses.FindIpv6(medium.Interface) : InterfaceAddresses.Find(medium.Interface);
                senders.Add(MediumSender.Open(medium, nic));
                var key = MediumReceiver.KeyOf(medium);
                if (!receivers.ContainsKey(key))
                {
                    receivers[key] = MediumReceiver.Open(medium, nic);
                }
            }
        }
        catch
        {
            senders.ForEach(s => s.Dispose());
            foreach (var r in receivers.Values)
            {
                r.Dispose();
            }

            throw;
        }

        return new MediaSet([.. senders], [.. receivers.Values]);
    }

    public void Dispose()
    {
        foreach (var sender in Senders)
        {
            sender.Dispose();
        }

        foreach (var receiver in Receivers)
        {
            receiver.Dispose();
        }
    }
}
