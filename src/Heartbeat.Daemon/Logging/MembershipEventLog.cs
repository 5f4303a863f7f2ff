using System.Globalization;
using Heartbeat.Protocol.Membership;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// The engine's events as log lines, rejections rate-limited per reason, and the counters line written once a minute.
/// Owned by the node loop and used on the loop thread only (its state is not synchronized).
/// </summary>
internal sealed class MembershipEventLog(ILogger logger)
{
    private static readonly TimeSpan RejectLogInterval = TimeSpan.FromSeconds(5);

    private readonly Dictionary<RejectReason, (TimeSpan LoggedAt, long CountThen)> _rejectLog = [];

    /// <summary>The rejection total that <see cref="_rejectionsText"/> describes (the counters line's "[…]").</summary>
    private long _rejectionsInText;

    private string _rejectionsText = string.Empty;

    public void LogEvent(MembershipEngine engine, MembershipEvent e)
    {
        switch (e)
        {
            case PacketRejected r:
                LogRejected(engine, r);
                break;
            case NodeStatusChanged s:
                MembershipLog.StatusUpdate(logger, s.Node, s.NewStatus);
                break;
            case NodeDead d:
                MembershipLog.NodeDead(logger, d.Node, (long)d.Silence.TotalMilliseconds, (long)d.Window.TotalMilliseconds, d.NeverHeard ? ", never heard" : string.Empty);
                break;
            case LinkChanged l:
                MembershipLog.Link(logger, l.Node, l.Interface, l.Up ? "up" : "dead");
                break;
            case LateHeartbeat late when late.BeyondDeadtime:
                MembershipLog.LateHeartbeatBeyondDeadtime(logger, late.Node, (long)late.Interval.TotalMilliseconds);
                break;
            case LateHeartbeat late:
                MembershipLog.LateHeartbeat(logger, late.Node, (long)late.Interval.TotalMilliseconds);
                break;
            case NodeRestarted restarted:
                MembershipLog.NodeRestarted(logger, restarted.Node, restarted.OldGeneration, restarted.NewGeneration);
                break;
            case NodeReturnedAfterPartition returned:
                MembershipLog.ReturnedAfterPartition(logger, returned.Node, returned.Generation);
                break;
            case PacketsLost lost when lost.TrackingReset:
                MembershipLog.TrackingReset(logger, lost.Node, lost.First, lost.Last);
                break;
            case PacketsLost lost:
                MembershipLog.PacketsLost(logger, lost.Last - lost.First + 1, lost.Node, lost.First, lost.Last);
                break;
            case GapsClosed closed:
                MembershipLog.GapsClosed(logger, closed.Node);
                break;
            case PacketIrretrievable irretrievable:
                MembershipLog.Irretrievable(logger, irretrievable.Node, irretrievable.Seq);
                break;
            case RetransmitRequested requested:
                MembershipLog.RetransmitRequested(logger, requested.Node, requested.Seq, requested.Attempt);
                break;
            case RetransmitServed served:
                MembershipLog.RetransmitServed(logger, served.Node, served.Seq, served.Outcome);
                break;
            case FlowControlDisabled flow:
                MembershipLog.FlowControlDisabled(logger, flow.Node);
                break;
            case CommunicationUp up:
                MembershipLog.CommunicationUp(logger, (long)up.SinceStart.TotalMilliseconds, up.HandshakeDone);
                break;
            case NodeListExchange exchange:
                MembershipLog.NodeListExchange(logger, exchange.Request ? "requested from" : "sent to", exchange.Node);
                break;
            case NodeListMismatch mismatch:
                MembershipLog.NodeListMismatch(logger, mismatch.Node, mismatch.TheirList, mismatch.OurList);
                break;
            case ShutdownNotice notice:
                MembershipLog.ShutdownNotice(logger, notice.Node);
                break;
            case LocalStall stall:
                MembershipLog.LocalStall(logger, (long)stall.Paused.TotalMilliseconds);
                break;
            case ClusterMessage message:
                MembershipLog.ClusterMessage(logger, message.Message.Type ?? "?", message.Node);
                break;
            case Protocol.Ping.PingNodeUp up:
                PingLog.Up(logger, up);
                break;
            case Protocol.Ping.PingNodeDead dead:
                PingLog.Dead(logger, dead);
                break;
            case Protocol.Ipfail.IpfailEvent ipfail:
                PingLog.Ipfail(logger, ipfail);
                break;
        }
    }

    /// <summary>Every rejection is counted; the log gets the first of each reason and then at most one line per 5 s.</summary>
    private void LogRejected(MembershipEngine engine, PacketRejected r)
    {
        var now = engine.Now;
        if (_rejectLog.TryGetValue(r.Reason, out var last) && now - last.LoggedAt < RejectLogInterval)
        {
            return;
        }

        long suppressed = last == default ? 0 : r.Count - last.CountThen - 1;
        _rejectLog[r.Reason] = (now, r.Count);
        MembershipLog.PacketRejected(logger, r.Interface, r.Node ?? "?", r.Reason, r.Detail, r.Count, suppressed);
    }

    /// <summary>The counters line, with what the loop thread allocated since its first turn.</summary>
    public void LogCounters(MembershipEngine engine, LoopAllocations loop)
    {
        var c = engine.Counters;

        // The line is written once a minute for the daemon's whole life: the per-reason text is rebuilt only when
        // something was rejected since the last line (usually never), so a quiet daemon's line allocates only what the
        // logging pipeline needs.
        long rejected = c.RejectedTotal;
        if (rejected != _rejectionsInText)
        {
            _rejectionsInText = rejected;
            _rejectionsText = string.Join(", ", c.RejectedByReason.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")));
        }

        string byReason = _rejectionsText;
        MembershipLog.Counters(logger, c.Received, c.Sent, c.Duplicates, rejected, byReason, c.RetransmitRequestsSent, c.RetransmissionsServed, c.LateHeartbeats, c.WorstLateMilliseconds,
            // Not precise: the precise count suspends every managed thread to read their allocation contexts, and on
            // a loaded machine the realtime loop then waits for normal-priority threads to reach a safe point.
            GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), loop.Allocated());
    }
}
