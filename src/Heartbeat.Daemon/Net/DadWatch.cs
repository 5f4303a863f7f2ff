using System.Net;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Net;

/// <summary>How duplicate address detection ended for an address just added.</summary>
public enum DadOutcome
{
    /// <summary>The address is no longer tentative: nobody else on the link has it, the kernel uses it.</summary>
    Usable,

    /// <summary>Another node answered for the address (IFA_F_DADFAILED): it is in use on the link.</summary>
    Failed,

    /// <summary>The address went away while it was tentative.</summary>
    Gone,

    /// <summary>Still tentative at the bound (a link without carrier never finishes DAD).</summary>
    TimedOut,
}

/// <summary>
/// Waits for the kernel's duplicate address detection of an IPv6 VIP. Why: nodad is not wanted: a VIP already in use on
/// the link (a stale holder, a misconfigured host) must fail the start, so that the group goes to the peer as any failed
/// start does, rather than two nodes answering for one address; and until DAD ends the kernel drops what is sent to the
/// address anyway, so announcing it earlier would gain nothing. Subscribed to IPv6 address notifications before the
/// address is added (<see cref="Open"/>), the wait ends the moment the kernel's RTM_NEWADDR clears the tentative flag or
/// sets dadfailed; a dump every <see cref="Recheck"/> covers lost notifications. Blocks the calling thread (a group
/// worker's start) for the DAD time: by default up to 1 s of random delay and 1 s per probe (rtr_solicit_delay,
/// dad_transmits × retrans_time).
/// </summary>
public sealed class DadWatch : IDisposable
{
    /// <summary>The longest one read blocks before the kernel's list is asked again.</summary>
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(100);

    private readonly FileDescriptorHandle _socket;
    private readonly byte[] _buffer = new byte[16 * 1024];

    private DadWatch(FileDescriptorHandle socket) => _socket = socket;

    /// <summary>Subscribes; call before the address is added, so that no verdict is missed.</summary>
    public static DadWatch Open() => new(Rtnetlink.OpenSocket(AddressEvents.RtmgrpIpv6Ifaddr, Recheck));

    /// <summary>Waits until DAD of <paramref name="address"/> on interface <paramref name="index"/> ends, or <paramref name="bound"/> passes.</summary>
    public DadOutcome Wait(Rtnetlink netlink, int index, IPAddress address, TimeSpan bound)
    {
        long deadline = Environment.TickCount64 + (long)bound.TotalMilliseconds;
        while (true)
        {
            // The kernel's list is the truth; the notifications only say when to look.
            var current = netlink.GetAddresses().FirstOrDefault(a => a.Index == index && a.Address.Equals(address));
            var outcome = Judge(current);
            if (outcome is not null)
            {
                return outcome.Value;
            }

            if (Environment.TickCount64 >= deadline)
            {
                return DadOutcome.TimedOut;
            }

            WaitForChange();
        }
    }

    /// <summary>The verdict an address entry gives, or null while DAD still runs.</summary>
    public static DadOutcome? Judge(InterfaceAddress? entry) => entry switch
    {
        null => DadOutcome.Gone,
        { DadFailed: true } => DadOutcome.Failed,
        { Tentative: true } => null,
        _ => DadOutcome.Usable,
    };

    /// <summary>
    /// Returns when notifications arrived (about any address: the caller looks at the list, which says whether ours
    /// changed), or after <see cref="Recheck"/>.
    /// </summary>
    private void WaitForChange()
    {
        try
        {
            RecvCall.Receive(_socket, _buffer);
        }
        catch (NativeCallException ex) when (ex.Errno is Errno.Enobufs or Errno.Eintr)
        {
            // Notifications lost, or a signal: look at the list.
        }
    }

    public void Dispose() => _socket.Dispose();
}
