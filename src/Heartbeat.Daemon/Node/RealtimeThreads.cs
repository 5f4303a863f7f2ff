using Heartbeat.Daemon.Interop;
using Heartbeat.Daemon.Logging;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// ha.cf's <c>realtime</c> (default on) and <c>rtprio</c>: the threads a heartbeat or a takeover depends on (the loop,
/// which also reads the sockets, and the group worker) run SCHED_FIFO, so a machine loaded by ordinary processes cannot delay our
/// keepalives past a peer's deadtime, nor our reading of theirs. 3.0.6 does the same to its processes, at priority 1
/// (HB_STATIC_PRIO) unless rtprio says otherwise: above every normal process, below the kernel's interrupt threads.
/// Differences: only these threads, not the log writer or the thread pool; scripts start with the normal policy
/// (SCHED_RESET_ON_FORK; 3.0.6 resets it in each child by hand); memory is not locked (mlockall(MCL_FUTURE) would
/// populate every thread stack and the GC's reservations, several times the daemon's working set). Where realtime is
/// not allowed (a container without CAP_SYS_NICE), one warning and the normal policy, as 3.0.6 does.
/// </summary>
public sealed class RealtimeThreads(bool enabled, int? priority, ILogger logger)
{
    /// <summary>3.0.6's HB_STATIC_PRIO.</summary>
    public const int DefaultPriority = 1;

    private int _refusalLogged;

    public int Priority { get; } = priority ?? DefaultPriority;

    /// <summary>Puts the calling thread under SCHED_FIFO (when realtime is on); true when it runs realtime now.</summary>
    public bool Enter(string thread)
    {
        if (!enabled)
        {
            return false;
        }

        int errno = SchedSetSchedulerCall.SetCallingThread(SchedSetSchedulerCall.SchedFifo | SchedSetSchedulerCall.SchedResetOnFork, Priority);
        if (errno == 0)
        {
            MembershipLog.RealtimeThread(logger, thread, Priority);
            return true;
        }

        if (Interlocked.Exchange(ref _refusalLogged, 1) == 0)
        {
            MembershipLog.RealtimeRefused(logger, thread, System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno), errno);
        }

        return false;
    }
}
