using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Logging;

/// <summary>The resource layer's log lines; stable event ids 2xx.</summary>
internal static partial class ResourceLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Group {Group}: {Action}")]
    public static partial void GroupAction(ILogger logger, string group, string action);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Group {Group} failed: {Reason}")]
    public static partial void GroupFailed(ILogger logger, string group, string reason);

    [LoggerMessage(EventId = 236, Level = LogLevel.Warning, Message = "Group {Group} is left down: {Reason}")]
    public static partial void GroupLeftDown(ILogger logger, string group, string reason);

    [LoggerMessage(EventId = 237, Level = LogLevel.Warning, Message = "Partition healed: {Peer} (Heartbeat 3.0.6) still claims groups that are up here; asking it to give up its copies (hb_takeover {Set}, attempt {Attempt})")]
    public static partial void PeerAskedToYield(ILogger logger, string peer, string set, int attempt);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Resource {Resource} {Action}: ok={Success} {Detail}")]
    public static partial void ResourceResult(ILogger logger, string resource, string action, bool success, string detail);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Resource {Resource} {Action} {Stream}: {Line}")]
    public static partial void ScriptOutput(ILogger logger, string resource, string action, string stream, string line);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Resource {Resource} {Action} timed out after {Timeout} ms; killed")]
    public static partial void ScriptTimedOut(ILogger logger, string resource, string action, long timeout);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Resource {Resource}: added {Placement}")]
    public static partial void AddressAdded(ILogger logger, string resource, string placement);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Resource {Resource}: already configured as {Placement}")]
    public static partial void AddressPresent(ILogger logger, string resource, string placement);

    [LoggerMessage(EventId = 212, Level = LogLevel.Information, Message = "Resource {Resource}: removed {Address}")]
    public static partial void AddressDeleted(ILogger logger, string resource, string address);

    [LoggerMessage(EventId = 220, Level = LogLevel.Warning, Message = "Resource {Resource}: the address vanished from its interface (ifdown or removed by hand); putting it back")]
    public static partial void VipVanished(ILogger logger, string resource);

    [LoggerMessage(EventId = 221, Level = LogLevel.Warning, Message = "Resource {Resource}: cannot check the address: {Problem}")]
    public static partial void MonitorError(ILogger logger, string resource, string problem);

    [LoggerMessage(EventId = 222, Level = LogLevel.Warning, Message = "Resource {Resource}: {Address} was left on {Interface} by an earlier run and this node does not hold it; releasing it")]
    public static partial void LeftoverReleased(ILogger logger, string resource, string address, string @interface);

    [LoggerMessage(EventId = 223, Level = LogLevel.Information, Message = "Holding group {Group} until SIGTERM; checking its addresses every {Interval} ms")]
    public static partial void Holding(ILogger logger, string group, long interval);

    [LoggerMessage(EventId = 224, Level = LogLevel.Information, Message = "Group {Group} (a home group) is still up from an earlier run; kept until the negotiation says whether the peer holds it")]
    public static partial void LeftoverKept(ILogger logger, string group);

    [LoggerMessage(EventId = 235, Level = LogLevel.Warning, Message = "Resource {Resource}: cannot be placed on this host now ({Reason}); a start will try again")]
    public static partial void CannotPrepare(ILogger logger, string resource, string reason);
}
