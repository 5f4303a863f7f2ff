using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Logging;

/// <summary>rc.d hook log lines (event ids 230–239).</summary>
internal static partial class RcHookLog
{
    [LoggerMessage(EventId = 230, Level = LogLevel.Information, Message = "Running {Path} {Argument}: exit {ExitCode} after {Milliseconds} ms")]
    public static partial void Ran(ILogger logger, string path, string argument, int exitCode, long milliseconds);

    [LoggerMessage(EventId = 231, Level = LogLevel.Information, Message = "rc.d hook {Hook}: {Line}")]
    public static partial void Output(ILogger logger, string hook, string line);

    [LoggerMessage(EventId = 232, Level = LogLevel.Warning, Message = "rc.d hook {Path} failed: {Problem}")]
    public static partial void Failed(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 233, Level = LogLevel.Information, Message = "{Path} is Heartbeat 3.0.6's stock hook; its work is done natively, so it is not run")]
    public static partial void StockSkipped(ILogger logger, string path);

    [LoggerMessage(EventId = 234, Level = LogLevel.Warning, Message = "rc.d hook {Hook} not run: {Count} hooks queued already")]
    public static partial void Dropped(ILogger logger, string hook, long count);
}
