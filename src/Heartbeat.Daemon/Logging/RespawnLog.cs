using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Logging;

/// <summary>respawn children's log lines (event ids 260–269), in 3.0.6's words where it had some.</summary>
internal static partial class RespawnLog
{
    [LoggerMessage(EventId = 260, Level = LogLevel.Information, Message = "Executing \"{Command}\" (pid {Pid}) as {User}")]
    public static partial void Executing(ILogger logger, string command, int pid, string user);

    [LoggerMessage(EventId = 261, Level = LogLevel.Error, Message = "Client {Command} exited with return code {ExitCode}.")]
    public static partial void Exited(ILogger logger, string command, int exitCode);

    [LoggerMessage(EventId = 262, Level = LogLevel.Error, Message = "Respawning client \"{Command}\":")]
    public static partial void Respawning(ILogger logger, string command);

    [LoggerMessage(EventId = 263, Level = LogLevel.Error, Message = "Client {Command} \"respawning too fast\"")]
    public static partial void TooFast(ILogger logger, string command);

    [LoggerMessage(EventId = 264, Level = LogLevel.Warning, Message = "Client {Command} exited with 100: not restarted")]
    public static partial void ExitedForGood(ILogger logger, string command);

    [LoggerMessage(EventId = 265, Level = LogLevel.Error, Message = "Cannot start \"{Command}\" as {User}: {Reason}; not restarted")]
    public static partial void CannotStart(ILogger logger, string command, string user, string reason);

    [LoggerMessage(EventId = 266, Level = LogLevel.Warning, Message = "respawn {Command} (ha.cf line {Line}) is not run: {Reason}")]
    public static partial void NotRun(ILogger logger, string command, int line, string reason);

    [LoggerMessage(EventId = 267, Level = LogLevel.Information, Message = "killing {Command} process group {Pid} with signal 15")]
    public static partial void Killing(ILogger logger, string command, int pid);
}
