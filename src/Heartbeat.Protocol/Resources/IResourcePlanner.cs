namespace Heartbeat.Protocol.Resources;

/// <summary>
/// What the daemon needs of a resource negotiation: membership events in, <see cref="PlannerCommand"/>s out. Two
/// protocols implement it, chosen by <c>auto_failback</c>: <see cref="ResourcePlanner"/> (on, off) and
/// <see cref="LegacyResourcePlanner"/> (legacy, 3.0.6's default).
/// </summary>
public interface IResourcePlanner
{
    PlannerState State { get; }

    IReadOnlyCollection<string> Held { get; }

    /// <summary>The class of groups held, as <c>cl_status rscstatus</c> reports it.</summary>
    HoldSet Holding { get; }

    bool InTransition { get; }

    /// <summary>Home groups found running at start (a crash and quick restart): kept unless the peer turns out to hold them.</summary>
    void AdoptLeftovers(IEnumerable<string> keys);

    void CommunicationUp(IReadOnlyCollection<string> deadPeers, bool anyPeerAlive);

    void Received(string from, Wire.HaMessage message);

    /// <summary>A message the peer addressed to someone else or to itself (3.0.6 drops these; legacy watches for self-grants).</summary>
    void Overheard(string from, Wire.HaMessage message);

    void PeerDied(string peer);

    /// <summary>The peer left gracefully (its <c>shutdone</c>); membership reports it as a <c>ShutdownNotice</c>.</summary>
    void PeerShutDown(string peer);

    void PeerReturned(string peer);

    /// <summary>The peer we declared dead is heard again with the same generation (see <see cref="PlannerBase.PartitionHealed"/>).</summary>
    void PartitionHealed(string peer);

    void GroupAnnounced(string key);

    /// <summary>This node did not run for longer than the deadtime (SIGSTOP, a frozen VM): see <see cref="PlannerBase.ResumedAfterStall"/>.</summary>
    void ResumedAfterStall();

    /// <summary>
    /// Timers (the make-before-break wait, the heal fallback, the startup delay, the standby reply timeout) and the
    /// checks that follow any change (a failed group handed over). Cheap: the daemon calls it on every loop turn.
    /// </summary>
    void Tick();

    /// <summary>How long until <see cref="Tick"/> has a timer to act on; null when no timer runs.</summary>
    TimeSpan? NextTimerIn { get; }

    void GroupStarted(string key, bool success);

    /// <summary>A start of a dead peer's group that never ran: the peer was heard again while its reset was pending.</summary>
    void StartWithdrawn(string key);

    void GroupStopped(string key);

    void BeginShutdown();

    /// <summary>The commands, appended to <paramref name="destination"/> (the daemon's loop: nothing allocated when there are none).</summary>
    void Drain(List<PlannerCommand> destination);

    /// <summary>Whether the peer marked its messages as ours (see <see cref="PlannerBase.ImplementationField"/>).</summary>
    bool PeerIsOurs { get; }

    /// <summary>Whether the live peer holds this group as far as the protocol tells (legacy tracks no holdings: never).</summary>
    bool PeerHolds(string key);

    /// <summary>
    /// The "alone" rule at communication up, per protocol: whether this peer counts as alive, so that this node asks or
    /// negotiates instead of taking its groups at once.
    /// </summary>
    bool CountsAsAlive(Membership.PeerNode peer);

    /// <summary>Why this protocol has no standby/takeover (the refusal, in 3.0.6's words), or null when it has one.</summary>
    string? StandbyUnsupported { get; }

    /// <summary>
    /// hb_standby: give <paramref name="set"/> to the peer. Returns why it is refused, or null. <paramref name="apiClient"/>:
    /// the heartbeat API client that asks (ipfail's giveup), whose id the request carries as 3.0.6's API stamps it; null
    /// for hb_standby and <c>hbctl standby</c>, whose request carries no such mark.
    /// </summary>
    string? RequestStandby(HoldSet set, string? apiClient = null);

    /// <summary>hb_takeover: ask the peer to go standby so that we take <paramref name="what"/>. Returns why it is refused, or null.</summary>
    string? RequestTakeover(string what);
}
