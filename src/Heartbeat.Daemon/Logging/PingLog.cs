using Heartbeat.Protocol.Ipfail;
using Heartbeat.Protocol.Ping;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Logging;

/// <summary>Ping nodes and the built-in ipfail: 3.0.6's wording (heartbeat's for ping nodes, ipfail's for ipfail).</summary>
internal static partial class PingLog
{
    [LoggerMessage(EventId = 270, Level = LogLevel.Information, Message = "ping heartbeat started: {Node}")]
    public static partial void Started(ILogger logger, string node);

    [LoggerMessage(EventId = 271, Level = LogLevel.Information, Message = "Status update for node {Node}: status ping")]
    public static partial void NodeUp(ILogger logger, string node);

    [LoggerMessage(EventId = 272, Level = LogLevel.Warning, Message = "node {Node}: is dead (ping node: no authenticated echo reply for {SilenceMs} ms, deadping {WindowMs} ms{Never})")]
    public static partial void NodeDead(ILogger logger, string node, long silenceMs, long windowMs, string never);

    [LoggerMessage(EventId = 273, Level = LogLevel.Error, Message = "ipfail: {Text}")]
    private static partial void IpfailError(ILogger logger, string text);

    [LoggerMessage(EventId = 274, Level = LogLevel.Information, Message = "ipfail: {Text}")]
    private static partial void IpfailInfo(ILogger logger, string text);

    [LoggerMessage(EventId = 275, Level = LogLevel.Debug, Message = "ipfail: {Text}")]
    private static partial void IpfailDebug(ILogger logger, string text);

    [LoggerMessage(EventId = 276, Level = LogLevel.Warning, Message = "ipfail: the standby request was refused: {Reason}")]
    private static partial void GiveupRefused(ILogger logger, string reason);

    public static void Up(ILogger logger, PingNodeUp up) => NodeUp(logger, up.Node);

    public static void Dead(ILogger logger, PingNodeDead dead) =>
        NodeDead(logger, dead.Node, (long)dead.Silence.TotalMilliseconds, (long)dead.Window.TotalMilliseconds, dead.NeverHeard ? ", never answered" : string.Empty);

    /// <summary>One ipfail note as 3.0.6's ipfail logs it (its numbers appended where ipfail logs them at debug level).</summary>
    public static void Ipfail(ILogger logger, IpfailEvent e)
    {
        switch (e.Note)
        {
            case IpfailNote.LegacyAutoFailback:
                IpfailError(logger, "auto_failback set to incompatible legacy option. (ipfail stays off)");
                break;
            case IpfailNote.NoManagedResources:
                IpfailError(logger, "No managed resources (ipfail stays off: it needs haresources and two nodes)");
                break;
            case IpfailNote.GiveupRefused:
                GiveupRefused(logger, e.Detail ?? "?");
                break;
            case IpfailNote.Asking:
                IpfailInfo(logger, $"Asking other side for ping node count. (we see {e.Ours})");
                break;
            case IpfailNote.PeerJoined:
                IpfailDebug(logger, $"Got join message from another ipfail client. ({e.Detail})");
                break;
            default:
                IpfailInfo(logger, Text(e));
                break;
        }
    }

    private static string Text(IpfailEvent e) => e.Note switch
    {
        IpfailNote.PingNodeCameUp => "A ping node just came up.",
        IpfailNote.StillAlive => "NS: We are still alive!",
        IpfailNote.WeAreDead => "We are dead. :<",
        IpfailNote.CheckingRemoteCount => "Checking remote count of ping nodes.",
        IpfailNote.TellingMore => $"Telling other node that we have more visible ping nodes. ({e.Ours} > {e.Theirs})",
        IpfailNote.FewerThanPeer => $"Giving up because we have less visible ping nodes. ({e.Ours} < {e.Theirs})",
        IpfailNote.ToldWeAreDead => "Giving up because we were told that we have less ping nodes.",
        IpfailNote.Balanced => $"Ping node count is balanced. ({e.Ours})",
        IpfailNote.GivingUpForeign => "Giving up foreign resources (auto_failback).",
        IpfailNote.DelayedGiveup => $"Delayed giveup in {e.Seconds} seconds. ({e.Detail} groups)",
        IpfailNote.AbortedGiveup => "Aborted delayed giveup",
        IpfailNote.NoGiveupToAbort => "No giveup timer to abort.",
        IpfailNote.GiveupCalled => $"giveup() called (timeout worked): standby {e.Detail}",
        IpfailNote.GiveupWaitsForStability => "giveup() found resources in transition: waiting for the other side to be stable",
        _ => e.Note.ToString(),
    };
}
