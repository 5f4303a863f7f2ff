using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Fencing;

/// <summary>
/// Fencing's log lines (event ids 300–309), 3.0.6's words where admins grep for them. Every attempt and its result
/// carry HB_EVENT=stonith, so <c>journalctl HB_EVENT=stonith</c> lists every reset with its duration.
/// </summary>
internal static partial class FencingLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Resetting node {Peer} with [{Device}] (attempt {Attempt})")]
    public static partial void Resetting(ILogger logger, string peer, string device, int attempt);

    /// <summary>
    /// One attempt's end, whatever its result (one event, HB_EVENT=stonith, with HB_RESULT and HB_ELAPSED_MS), in
    /// 3.0.6's words: "node X now reset." or "Host X not reset!" and "STONITH of X failed.  Retrying...".
    /// </summary>
    [LoggerMessage(EventId = 301, EventName = "Stonith", Message = "{Outcome} (STONITH of {Peer}, attempt {Attempt}: {Result} in {ElapsedMs} ms{Detail})")]
    public static partial void Attempt(ILogger logger, LogLevel level, string outcome, string peer, int attempt, string result, long elapsedMs, string detail);

    /// <summary>A waiting fence called off because its peer is heard again (HB_EVENT=stonith, like every reset's outcome).</summary>
    [LoggerMessage(EventId = 302, EventName = "StonithCancelled", Level = LogLevel.Warning, Message = "Reset of {Peer} cancelled: it is heard again {RemainingMs} ms before the {Wait} ended; nothing of it is taken over ({Withdrawn} group starts withdrawn), the nodes settle who holds what")]
    public static partial void Cancelled(ILogger logger, string peer, long remainingMs, string wait, int withdrawn);

    [LoggerMessage(EventId = 309, EventName = "StonithNotRecalled", Level = LogLevel.Warning, Message = "{Peer} is heard again while its reset runs (attempt {Attempt}): a reset cannot be recalled, it ends as it ends and is not retried; nothing of it is taken over ({Withdrawn} group starts withdrawn)")]
    public static partial void NotRecalled(ILogger logger, string peer, int attempt, int withdrawn);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Delaying the reset of {Peer} by {DelayMs} ms: it held {HeldThere} groups, this node {HeldHere}; {Why}")]
    public static partial void Delayed(ILogger logger, string peer, long delayMs, int heldThere, int heldHere, string why);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Dead node {Peer} gave up resources.")]
    public static partial void Unneeded(ILogger logger, string peer);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "No STONITH device configured. Shared disks are not protected. (dead node {Peer})")]
    public static partial void NotConfigured(ILogger logger, string peer);

    [LoggerMessage(EventId = 306, Level = LogLevel.Information, Message = "STONITH of {Peer} done: taking over ({Released} group starts were held back)")]
    public static partial void TakeoverReleased(ILogger logger, string peer, int released);

    [LoggerMessage(EventId = 307, Level = LogLevel.Information, Message = "{From} reports STONITH of {Peer}: {Result}")]
    public static partial void PeerReported(ILogger logger, string from, string peer, string result);

    /// <summary>The device check at start: "OK" or why the device is not operational (3.0.6's words).</summary>
    [LoggerMessage(EventId = 308, EventName = "StonithDevice", Message = "STONITH device [{Device}]: {Status}")]
    public static partial void DeviceStatus(ILogger logger, LogLevel level, string device, string status);
}
