using System.Net;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Net;

/// <summary>One address to add (with its broadcast and label) or delete, for <see cref="Rtnetlink.AddressRequests"/>.</summary>
public sealed record AddressRequest(bool Add, int Index, IPAddress Address, int PrefixLength, IPAddress? Broadcast = null, string? Label = null);

/// <summary>
/// A NETLINK_ROUTE socket in the caller's network namespace: reads links, addresses and routes (IPv4 and IPv6), adds
/// and deletes addresses. Every request waits for the kernel's answer with a timeout; not thread-safe (one per user).
/// </summary>
public sealed class Rtnetlink : IDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    private readonly FileDescriptorHandle _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private uint _sequence = (uint)Environment.TickCount;

    private Rtnetlink(FileDescriptorHandle socket) => _socket = socket;

    public static Rtnetlink Open() => new(OpenSocket(groups: 0, ReplyTimeout));

    /// <summary>
    /// A NETLINK_ROUTE socket bound to the multicast <paramref name="groups"/> (0: requests and replies only), whose
    /// reads give up after <paramref name="receiveTimeout"/>; the requests here and the address notifications share it.
    /// </summary>
    internal static FileDescriptorHandle OpenSocket(uint groups, TimeSpan receiveTimeout)
    {
        var socket = SocketCall.Open(SocketCall.AfNetlink, SocketCall.SockRaw, SocketCall.NetlinkRoute);
        try
        {
            BindCall.Bind(socket, new SockAddrNl { Family = SocketCall.AfNetlink, Groups = groups });
            SetSockOptCall.ReceiveTimeout(socket, receiveTimeout);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public IReadOnlyList<LinkInfo> GetLinks() => Dump(NetlinkMessages.RtmGetLink, NetlinkMessages.RtmNewLink, NetlinkMessages.ParseLink);

    public IReadOnlyList<InterfaceAddress> GetAddresses() => Dump(NetlinkMessages.RtmGetAddr, NetlinkMessages.RtmNewAddr, NetlinkMessages.ParseAddress);

    public IReadOnlyList<RouteInfo> GetRoutes() => Dump(NetlinkMessages.RtmGetRoute, NetlinkMessages.RtmNewRoute, NetlinkMessages.ParseRoute);

    /// <summary>Adds the address; true if added, false if it was already there (idempotent).</summary>
    public bool AddAddress(int index, IPAddress address, int prefixLength, IPAddress? broadcast, string? label)
    {
        int errno = Request(NetlinkMessages.AddressRequest(add: true, ++_sequence, index, address, prefixLength, broadcast, label));
        return errno switch
        {
            0 => true,
            Errno.Eexist => false,
            _ => throw new NativeCallException($"RTM_NEWADDR {address}/{prefixLength}", errno),
        };
    }

    /// <summary>Deletes the address; true if deleted, false if it was not there (idempotent).</summary>
    public bool DeleteAddress(int index, IPAddress address, int prefixLength)
    {
        int errno = Request(NetlinkMessages.AddressRequest(add: false, ++_sequence, index, address, prefixLength, null, null));
        return errno switch
        {
            0 => true,
            Errno.Eaddrnotavail or Errno.Enoent => false,
            _ => throw new NativeCallException($"RTM_DELADDR {address}/{prefixLength}", errno),
        };
    }

    /// <summary>
    /// Many RTM_NEWADDR/RTM_DELADDR at once (a group's VIPs): the requests go to the kernel together, as few datagrams
    /// as <see cref="BatchSize"/> allows (the kernel handles every message of a datagram in turn and acknowledges each),
    /// then the acknowledgements are read; one errno per request, in order (0: done). A group of 256 VIPs costs a
    /// couple of system calls instead of 512 round trips.
    /// </summary>
    public int[] AddressRequests(IReadOnlyList<AddressRequest> requests)
    {
        var errnos = new int[requests.Count];
        int next = 0;
        while (next < requests.Count)
        {
            // One datagram: as many requests as fit.
            uint first = _sequence + 1;
            using var datagram = new MemoryStream();
            int count = 0;
            while (next + count < requests.Count)
            {
                var r = requests[next + count];
                if (count == BatchSize)
                {
                    break;
                }

                datagram.Write(NetlinkMessages.AddressRequest(r.Add, first + (uint)count, r.Index, r.Address, r.PrefixLength, r.Broadcast, r.Label));
                count++;
            }

            _sequence += (uint)count;
            SendToCall.SendTo(_socket, datagram.GetBuffer().AsSpan(0, (int)datagram.Length), new SockAddrNl { Family = SocketCall.AfNetlink });
            int answered = 0;
            var seen = new bool[count];
            while (answered < count)
            {
                int n = RecvCall.Receive(_socket, _buffer);
                if (n < 0)
                {
                    throw new TimeoutException($"the kernel acknowledged {answered} of {count} netlink requests within 5 s");
                }

                int offset = next;
                NetlinkMessages.ParseAcks(_buffer.AsSpan(0, n), (sequence, errno) =>
                {
                    uint index = sequence - first;
                    if (index < (uint)count && !seen[index])
                    {
                        seen[index] = true;
                        errnos[offset + (int)index] = errno;
                        answered++;
                    }
                });
            }

            next += count;
        }

        return errnos;
    }

    /// <summary>
    /// The most requests in one datagram: the kernel queues all their acknowledgements before the first is read, and
    /// each takes about a kilobyte of the receive buffer (212 KB by default); an overflow would lose acknowledgements.
    /// </summary>
    public const int BatchSize = 64;

    public void Dispose() => _socket.Dispose();

    private int Request(byte[] message)
    {
        var sequence = BitConverter.ToUInt32(message, 8);
        SendToCall.SendTo(_socket, message, new SockAddrNl { Family = SocketCall.AfNetlink });
        while (true)
        {
            int n = RecvCall.Receive(_socket, _buffer);
            if (n < 0)
            {
                throw new TimeoutException("the kernel did not answer a netlink request within 5 s");
            }

            if (!NetlinkMessages.Parse(_buffer.AsSpan(0, n), sequence, (_, _) => { }, out int? errno))
            {
                return errno ?? 0;
            }
        }
    }

    private List<T> Dump<T>(ushort request, ushort replyType, Func<ReadOnlySpan<byte>, T?> parse)
        where T : class
    {
        uint sequence = ++_sequence;
        SendToCall.SendTo(_socket, NetlinkMessages.DumpRequest(request, sequence), new SockAddrNl { Family = SocketCall.AfNetlink });
        var results = new List<T>();
        bool more = true;
        while (more)
        {
            int n = RecvCall.Receive(_socket, _buffer);
            if (n < 0)
            {
                throw new TimeoutException("the kernel did not finish a netlink dump within 5 s");
            }

            more = NetlinkMessages.Parse(_buffer.AsSpan(0, n), sequence, (type, payload) =>
            {
                if (type == replyType && parse(payload) is { } item)
                {
                    results.Add(item);
                }
            }, out int? errno);
            if (errno is > 0)
            {
                throw new NativeCallException("netlink dump", errno.Value);
            }
        }

        return results;
    }
}
