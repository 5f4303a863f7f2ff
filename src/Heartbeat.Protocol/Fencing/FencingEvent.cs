using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Fencing;

/// <summary>What fencing decided or saw, for the log (journald HB_EVENT=stonith) and the status: a closed vocabulary.</summary>
public abstract record FencingEvent(string Node);

/// <summary>The dead node had let go of everything: no reset, its groups are taken at once (3.0.6 "Dead node X gave up resources.").</summary>
public sealed record FenceUnneeded(string Node) : FencingEvent(Node);

/// <summary>A reset was needed and no device applies to this node: taken over unprotected (3.0.6 "No STONITH device configured.").</summary>
public sealed record FenceNotConfigured(string Node) : FencingEvent(Node);

/// <summary>
/// This node holds fewer groups than the dead node did (or as many, and its name sorts later), or the dead node is a
/// 3.0.6: it waits before its reset so that the other's reset of it lands first when only the links are cut.
/// </summary>
/// <param name="PeerIsHeartbeat306">The peer is a real 3.0.6, which resets at once without any delay of its own.</param>
/// <param name="YieldedTo306">
/// This node ranks first (it holds the groups) and would reset at once beside one of ours, but waits because the peer
/// is a 3.0.6 that resets at once too: its reset of this node is to land first, so that exactly one node is fenced.
/// </param>
public sealed record FenceDelayed(string Node, TimeSpan Delay, int HeldHere, int HeldThere, bool PeerIsHeartbeat306, bool YieldedTo306 = false) : FencingEvent(Node);

/// <summary>A reset attempt was handed to the shell.</summary>
public sealed record FenceStarted(string Node, int Attempt, StonithDevice Device) : FencingEvent(Node);

/// <summary>
/// The peer was heard again while its fence waited (<paramref name="InContenderDelay"/>: the contender delay, else
/// the wait before retry <paramref name="Attempts"/> + 1), <paramref name="Remaining"/> before it was due: the fence is
/// cancelled, nothing of the peer is taken over (<paramref name="Withdrawn"/> held back starts given up), and the
/// resource protocol settles with the peer that talks again.
/// </summary>
public sealed record FenceCancelled(string Node, bool InContenderDelay, int Attempts, TimeSpan Remaining, int Withdrawn) : FencingEvent(Node);

/// <summary>
/// The peer was heard again while attempt <paramref name="Attempt"/> ran: a reset cannot be recalled, so it ends as it
/// ends (not retried if it fails); <paramref name="Withdrawn"/> held back starts are given up.
/// </summary>
public sealed record FenceNotRecalled(string Node, int Attempt, int Withdrawn) : FencingEvent(Node);

/// <summary>An attempt ended; on success the takeover goes ahead, else the next attempt comes after <paramref name="RetryIn"/> (null: not retried, the peer was heard again).</summary>
public sealed record FenceAttemptEnded(string Node, int Attempt, FenceResult Result, TimeSpan Elapsed, string? Detail, TimeSpan? RetryIn) : FencingEvent(Node);

/// <summary>The takeover held back by a reset goes ahead now: <paramref name="Released"/> group starts.</summary>
public sealed record FenceReleasedTakeover(string Node, int Released) : FencingEvent(Node);

/// <summary>A peer's <c>t=stonith</c> notice about <see cref="FencingEvent.Node"/> (3.0.6 only hands these to clients; we log them).</summary>
public sealed record FenceReported(string Node, string From, string Result) : FencingEvent(Node);
