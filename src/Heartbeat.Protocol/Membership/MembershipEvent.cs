namespace Heartbeat.Protocol.Membership;

/// <summary>Something the membership layer observed: the daemon logs each one, later layers react to some.</summary>
public abstract record MembershipEvent;

/// <summary>A datagram was refused; <see cref="Count"/> is how many of this reason so far (for rate-limited logs).</summary>
public sealed record PacketRejected(RejectReason Reason, string Interface, string? Node, string Detail, long Count) : MembershipEvent;

/// <summary>3.0.6: "Status update for node X: status S".</summary>
public sealed record NodeStatusChanged(string Node, string OldStatus, string NewStatus) : MembershipEvent;

/// <summary>3.0.6: "node X: is dead". <see cref="Silence"/> is the time since the last status, <see cref="Window"/> the deadtime applied.</summary>
public sealed record NodeDead(string Node, TimeSpan Silence, TimeSpan Window, bool NeverHeard) : MembershipEvent;

/// <summary>3.0.6: "Link X:IF up." / "Link X:IF dead.".</summary>
public sealed record LinkChanged(string Node, string Interface, bool Up) : MembershipEvent;

/// <summary>3.0.6: "Late heartbeat: Node X: interval N ms" (CRIT with "(> deadtime)" when <see cref="BeyondDeadtime"/>).</summary>
public sealed record LateHeartbeat(string Node, TimeSpan Interval, bool BeyondDeadtime) : MembershipEvent;

/// <summary>3.0.6: "Heartbeat restart on node X": a status with a higher generation.</summary>
public sealed record NodeRestarted(string Node, ulong OldGeneration, ulong NewGeneration) : MembershipEvent;

/// <summary>3.0.6: "Cluster node X returning after partition.": the same generation heard again after we declared it dead.</summary>
public sealed record NodeReturnedAfterPartition(string Node, ulong Generation) : MembershipEvent;

/// <summary>3.0.6: "N lost packet(s) for [X] [last:seq]".</summary>
public sealed record PacketsLost(string Node, ulong First, ulong Last, bool TrackingReset) : MembershipEvent;

/// <summary>3.0.6: "No pkts missing from X!".</summary>
public sealed record GapsClosed(string Node) : MembershipEvent;

/// <summary>3.0.6: "Irretrievably lost packet: node X seq N".</summary>
public sealed record PacketIrretrievable(string Node, ulong Seq) : MembershipEvent;

/// <summary>We asked <see cref="Node"/> to resend <see cref="Seq"/> (NS_rexmit).</summary>
public sealed record RetransmitRequested(string Node, ulong Seq, int Attempt) : MembershipEvent;

/// <summary><see cref="Node"/> asked us for <see cref="Seq"/>; <see cref="Outcome"/> says what we did.</summary>
public sealed record RetransmitServed(string Node, ulong Seq, RetransmitOutcome Outcome) : MembershipEvent;

public enum RetransmitOutcome
{
    Resent,
    TooSoon,
    AlreadyAcked,

    /// <summary>Below the history: answered with NS_nak_rexmit (3.0.6: "Cannot rexmit pkt N for X: seqno too low").</summary>
    NakTooLow,

    /// <summary>Above what we sent (3.0.6: "Rexmit of seq N requested. M is max.").</summary>
    NotYetSent,
}

/// <summary>3.0.6: "flow control disabled due to different version heartbeat".</summary>
public sealed record FlowControlDisabled(string Node) : MembershipEvent;

/// <summary>3.0.6: "Comm_now_up(): updating status to active".</summary>
public sealed record CommunicationUp(TimeSpan SinceStart, bool HandshakeDone) : MembershipEvent;

/// <summary>We answered a reqnodes from <see cref="Node"/>, or sent one to it.</summary>
public sealed record NodeListExchange(string Node, bool Request) : MembershipEvent;

/// <summary>A repnodes whose list differs from our node lines; 3.0.6 would rewrite its node table, we only warn.</summary>
public sealed record NodeListMismatch(string Node, string TheirList, string OurList) : MembershipEvent;

/// <summary>3.0.6: "Received shutdown notice from 'X'".</summary>
public sealed record ShutdownNotice(string Node) : MembershipEvent;

/// <summary>
/// The event loop itself was paused (GC, SIGSTOP, starved CPU); peers get a fresh window instead of being declared dead.
/// <see cref="BeyondDeadtime"/>: we were silent for longer than the deadtime, so our peers have declared us dead and
/// may have taken our groups.
/// </summary>
public sealed record LocalStall(TimeSpan Paused, bool BeyondDeadtime) : MembershipEvent;

/// <summary>A sequenced message for the layers above membership (resource messages, from [4/8] on).</summary>
public sealed record ClusterMessage(string Node, Wire.HaMessage Message) : MembershipEvent;

/// <summary>
/// A sequenced message a node addressed to another node or to itself: 3.0.6 drops these (receive rule 11), and so
/// does everything here but the legacy planner, which watches for a peer's self-granted group.
/// </summary>
public sealed record OverheardMessage(string Node, Wire.HaMessage Message) : MembershipEvent;
