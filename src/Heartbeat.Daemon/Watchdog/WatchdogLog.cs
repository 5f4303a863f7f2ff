using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Watchdog;

/// <summary>The hardware watchdog's log lines (event ids 310–315), in 3.0.6's words.</summary>
internal static partial class WatchdogLog
{
    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Using watchdog device: {Device}")]
    public static partial void Using(ILogger logger, string device);

    [LoggerMessage(EventId = 311, Level = LogLevel.Error, Message = "Cannot open watchdog device: {Device} ({Reason})")]
    public static partial void CannotOpen(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 312, Level = LogLevel.Information, Message = "Set watchdog timer of {Device} to {Seconds} seconds.")]
    public static partial void TimeoutSet(ILogger logger, string device, int seconds);

    [LoggerMessage(EventId = 313, Level = LogLevel.Warning, Message = "WDIOC_SETTIMEOUT: Failed to set watchdog timer of {Device} to {Seconds} seconds ({Reason})")]
    public static partial void CannotSetTimeout(ILogger logger, string device, int seconds, string reason);

    [LoggerMessage(EventId = 314, Level = LogLevel.Error, Message = "Watchdog write failure: closing {Device}! ({Reason})")]
    public static partial void WriteFailed(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 315, Level = LogLevel.Information, Message = "Successful watchdog 'V' write: {Device} disarmed")]
    public static partial void Disarmed(ILogger logger, string device);
}
