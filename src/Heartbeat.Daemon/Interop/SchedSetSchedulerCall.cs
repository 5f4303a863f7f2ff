using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>sched_setscheduler(2) for the calling thread (pid 0: on Linux the policy is per thread).</summary>
internal static partial class SchedSetSchedulerCall
{
    public const int SchedOther = 0;
    public const int SchedFifo = 1;

    /// <summary>Children (forked scripts, and threads started later) begin with the normal policy, not ours.</summary>
    public const int SchedResetOnFork = 0x40000000;

    /// <summary>0, or the errno (EPERM where realtime is not allowed, e.g. in a container without CAP_SYS_NICE).</summary>
    public static int SetCallingThread(int policy, int priority)
    {
        var parameters = new SchedParam { Priority = priority };
        return NativeSetScheduler(0, policy, in parameters) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int NativeSetScheduler(int pid, int policy, in SchedParam parameters);
}
