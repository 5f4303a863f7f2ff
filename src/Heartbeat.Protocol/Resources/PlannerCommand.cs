using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>What the planner asks the daemon to do.</summary>
public abstract record PlannerCommand;

/// <summary>Send this cluster message (membership stamps and signs it).</summary>
public sealed record SendClusterMessage(HaMessage Body) : PlannerCommand;

/// <summary>Start a group (ResourceManager takegroup), then report with <see cref="ResourcePlanner.GroupStarted"/>.</summary>
public sealed record AcquireGroup(string Key, string Reason, GroupCause Cause) : PlannerCommand;

/// <summary>Stop a group (givegroup), then report with <see cref="ResourcePlanner.GroupStopped"/>.</summary>
/// <param name="RequestedBy">The peer whose request (legacy ip-request) this answers: rc.d/local_giveip runs first.</param>
public sealed record ReleaseGroup(string Key, string Reason, GroupCause Cause, string? RequestedBy = null) : PlannerCommand;

/// <summary>Announce a held group again (gratuitous ARP for its addresses), then report with <see cref="PlannerBase.GroupAnnounced"/>.</summary>
public sealed record AnnounceGroup(string Key, string Reason, GroupCause Cause) : PlannerCommand;

/// <summary>Every group is stopped after <see cref="ResourcePlanner.BeginShutdown"/>: membership may send shutdone.</summary>
public sealed record ReadyToLeave : PlannerCommand;

/// <summary>
/// A peer was declared dead: whether it must be reset before its groups are taken (3.0.6's need_stonith), with how
/// many groups it held as far as the protocol knew (the fencing's priority). The takeover's acquisitions follow.
/// </summary>
public sealed record FenceDecision(string Peer, bool Needed, int PeerHeld) : PlannerCommand;

/// <summary>
/// A group's start failed here and it is not handed to the peer: it was handed over after a failed start before and
/// has not run on the peer since, so it fails on both nodes and stays down rather than bouncing between them. For the
/// log; nothing is to be done.
/// </summary>
public sealed record GroupLeftDown(string Key, string Reason) : PlannerCommand;

/// <summary>
/// After a heal a real 3.0.6 peer still claims groups that are up here; it was asked to give them up with
/// <c>hb_takeover</c> (our class <paramref name="Set"/>; attempt <paramref name="Attempt"/>). For the log.
/// </summary>
public sealed record PeerAskedToYield(string Peer, string Set, int Attempt) : PlannerCommand;
