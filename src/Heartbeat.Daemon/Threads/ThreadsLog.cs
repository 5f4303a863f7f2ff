using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Threads;

/// <summary>The scheduling lines of the daemon's threads (event ids of the membership range, 1xx, as before they moved here).</summary>
internal static partial class ThreadsLog
{
    [LoggerMessage(EventId = 106, Level = LogLevel.Debug, Message = "Thread {Thread} runs realtime: SCHED_FIFO priority {Priority}")]
    public static partial void RealtimeThread(ILogger logger, string thread, int priority);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Realtime scheduling refused for {Thread} ({Reason}, errno {Errno}): running with the normal policy; a loaded machine can delay heartbeats")]
    public static partial void RealtimeRefused(ILogger logger, string thread, string reason, int errno);
}
