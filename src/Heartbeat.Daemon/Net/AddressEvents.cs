using System.Net;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Net;

/// <summary>What one wait on <see cref="AddressEvents"/> brought.</summary>
public enum AddressEventKind
{
    /// <summary>Nothing arrived within the wait.</summary>
    Quiet,

    /// <summary>Address changes arrived; the deleted addresses (possibly none) were collected.</summary>
    Changes,

    /// <summary>The kernel dropped notifications (ENOBUFS): anything may have changed, check everything.</summary>
    Overflow,
}

/// <summary>
/// A NETLINK_ROUTE socket subscribed to IPv4 and IPv6 address changes (RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR). Why: the VIPs a node holds must
/// come back when something removes them, and asking the kernel for a dump every keepalive wakes the daemon (and a
/// pool thread, a timer) for nothing nearly every time; the kernel tells a subscriber the moment an address goes.
/// Reads with a timeout, after poll(2) on <see cref="Descriptor"/> reported them; not thread-safe (one reader).
/// </summary>
public sealed class AddressEvents : IDisposable
{
    private const uint RtmgrpIpv4Ifaddr = 0x10;
    internal const uint RtmgrpIpv6Ifaddr = 0x100;

    private readonly FileDescriptorHandle _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];

    private AddressEvents(FileDescriptorHandle socket) => _socket = socket;

    /// <param name="wait">How long one <see cref="Wait"/> blocks when nothing happens.</param>
    /// <param name="ipv6">Subscribe to IPv6 addresses too: only when an IPv6 VIP is configured, because IPv6 addresses
    /// change far more often (router advertisements refresh their lifetimes) and each change wakes the loop.</param>
    public static AddressEvents Open(TimeSpan wait, bool ipv6 = false) => new(Rtnetlink.OpenSocket(RtmgrpIpv4Ifaddr | (ipv6 ? RtmgrpIpv6Ifaddr : 0), wait));

    /// <summary>The socket's descriptor, for a poll set.</summary>
    public int Descriptor => _socket.Fd;

    /// <summary>Blocks until address changes arrive or the wait passes; deleted addresses are added to <paramref name="deleted"/>.</summary>
    public AddressEventKind Wait(ICollection<IPAddress> deleted)
    {
        int received;
        try
        {
            received = RecvCall.Receive(_socket, _buffer);
        }
        catch (NativeCallException ex) when (ex.Errno == Errno.Enobufs)
        {
            return AddressEventKind.Overflow;
        }
        catch (NativeCallException ex) when (ex.Errno == Errno.Eintr)
        {
            // A signal (SIGCHLD of a resource script, SIGHUP) landed on this thread: with SO_RCVTIMEO set, the kernel
            // does not restart recv. Nothing was read.
            return AddressEventKind.Quiet;
        }

        if (received < 0)
        {
            return AddressEventKind.Quiet;
        }

        try
        {
            NetlinkMessages.ParseNotifications(_buffer.AsSpan(0, received), (type, payload) =>
            {
                if (type == NetlinkMessages.RtmDelAddr && NetlinkMessages.ParseAddress(payload) is { } gone)
                {
                    deleted.Add(gone.Address);
                }
            });
        }
        catch (InvalidDataException)
        {
            // A message we cannot walk: what it said is unknown, so treat it as lost notifications.
            return AddressEventKind.Overflow;
        }

        return AddressEventKind.Changes;
    }

    public void Dispose() => _socket.Dispose();
}
