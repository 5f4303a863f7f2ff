using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// Heartbeat 3.0.6's v1 resource negotiation for <c>auto_failback on</c> and <c>off</c> (the "nice_failback" protocol,
/// behaviour.md §3–5), as a pure state machine: start-up (<c>starting</c>, <c>resource</c> reports, the fixed 10 s
/// wait), takeover when the peer dies or leaves, and the graceful leave. Messages and fields are those a 3.0.6 node
/// sends, so a real peer follows the exchange. Time comes from the <see cref="TimeProvider"/>; nothing here does I/O.
/// </summary>
/// <remarks>
/// In parts by concern: this file holds the planner's whole state, start-up placement and takeover;
/// <c>ResourcePlanner.Reports.cs</c> the <c>resource</c> reports, received and sent; <c>ResourcePlanner.Standby.cs</c>
/// the standby/takeover three-phase exchange; <c>ResourcePlanner.FailedStarts.cs</c> the hand-over of groups whose
/// start failed here. <see cref="PlannerBase"/> holds the groups, the heal and the leave.
/// </remarks>
public sealed partial class ResourcePlanner : PlannerBase
{
    /// <summary>RQSTDELAY: 3.0.6 waits a fixed 10 s after the first resource report before it takes its own groups.</summary>
    public static readonly TimeSpan StartupDelay = TimeSpan.FromSeconds(10);

    // ---- The planner's state, all of it --------------------------------------------------------------------------
    // resourcestate is PlannerBase.State, the groups held and under way are PlannerBase's too. The rest follows, each
    // with the hb_resource.c variable of 3.0.6 it stands for where there is one.

    /// <summary>
    /// procinfo-&gt;i_hold_resources: the classes this node took by the protocol (req_our_resources, mach_down, a standby
    /// takeover), whether or not they contain groups. 3.0.6 reports them (behaviour.md §8: a node without home groups
    /// still reports local), and a real peer logs "Both machines own foreign resources!" or "No one owns foreign
    /// resources!" when the classes disagree.
    /// </summary>
    private HoldSet _claimed;

    /// <summary>other_holds_resources: what the peer last reported holding (its <c>rsc_hold</c>), from its point of view.</summary>
    public HoldSet PeerReports { get; private set; } = HoldSet.None;

    /// <summary>
    /// Whether the peer holds our home groups, as req_our_resources asks it (other_holds_resources &amp; foreign): set from
    /// each report, cleared when we take over and when a heal is settled (the next report sets it again).
    /// </summary>
    private bool _peerHoldsOurs;

    /// <summary>Whether the peer is up as far as resources go (heard, not dead, not left).</summary>
    private bool _peerAlive;

    /// <summary>The peers membership declared dead and that have not returned: each gets one STONITH notice and one takeover.</summary>
    private readonly HashSet<string> _deadPeers = new(StringComparer.Ordinal);

    /// <summary>
    /// The peer gave us its groups on purpose (hb_standby): auto_failback does not hand them straight back, as in
    /// behaviour-hb_standby-all; it applies again once the peer starts anew.
    /// </summary>
    private bool _peerChoseStandby;

    /// <summary>When the start-up wait (RQSTDELAY) ends: set when the first report moves us to ResourcesReceived, never reset.</summary>
    private TimeSpan? _stableAt;

    /// <summary>The standby exchange running (going_standby other than NOT, with standby_rsctype and standby_running), or null.</summary>
    private StandbyExchange? _standby;

    /// <summary>What this node still has to send the peer once its groups under way are up (see <see cref="PendingReports"/>).</summary>
    private PendingReports _due;

    /// <summary>Groups started ahead for a peer that is leaving or going standby (make-before-break).</summary>
    private readonly HashSet<string> _tookOverKeys = new(StringComparer.Ordinal);

    /// <summary>Groups whose start failed here and that wait to be handed to the peer with a standby of their class.</summary>
    private readonly HashSet<string> _failedToHandOver = new(StringComparer.Ordinal);

    /// <summary>Whether the peer's last full resource report said it is stable (isstable 1): it answers a standby request then.</summary>
    private bool _peerSaidStable;

    /// <summary>
    /// Groups handed over after a failed start (not again until the group has run: one of its starts succeeds here or
    /// the peer's report says it holds it; or the admin asks for a takeover here, or the peer dies): a group failing
    /// on both nodes does not bounce between them.
    /// </summary>
    private readonly HashSet<string> _handedOverAfterFailure = new(StringComparer.Ordinal);

    /// <summary>
    /// other_holds_resources as it stood when membership declared the peer dead. A real peer that comes back with the
    /// same generation (a partition or a stall healed) did not restart, so it still claims this; we read it again at
    /// the heal (see <c>ResourcePlanner.Heal.cs</c>).
    /// </summary>
    private HoldSet _reportsAtDeath;

    /// <summary>The request to a real 3.0.6 peer to give up the copies it kept over a heal, while it runs (or null).</summary>
    private HealTakeover? _healTakeover;

    // ---- End of the state ----------------------------------------------------------------------------------------

    public ResourcePlanner(string local, HaResources resources, AutoFailback policy, TimeProvider time)
        : base(local, resources, time)
    {
        if (policy == AutoFailback.Legacy)
        {
            throw new ArgumentException("the legacy (ip-request) protocol is not part of this planner", nameof(policy));
        }

        Policy = policy;
    }

    public AutoFailback Policy { get; }

    /// <summary>
    /// Whether the live peer's last report covers this group: its "local" class is the groups whose home it is, its
    /// "foreign" class ours. Class bookkeeping, as 3.0.6's: it says what the peer claims, not what its scripts did.
    /// </summary>
    public override bool PeerHolds(string key) =>
        _peerAlive && GroupByKey(key) is { } group
        && (PeerReports & (IsLocal(group) ? HoldSet.Foreign : HoldSet.Local)) != 0;

    /// <summary>
    /// The class of groups this node holds, as <c>cl_status rscstatus</c> reports it. Like 3.0.6 this is class
    /// bookkeeping: a class taken by the protocol counts even when it has no groups (or a start failed), and the groups
    /// actually held count too.
    /// </summary>
    public override HoldSet Holding
    {
        get
        {
            var set = _claimed;
            foreach (var group in Resources.Groups.Where(g => HeldKeys.Contains(g.Key)))
            {
                set |= IsLocal(group) ? HoldSet.Local : HoldSet.Foreign;
            }

            return set;
        }
    }

    /// <summary>True while anything is unstable: <c>cl_status rscstatus</c> prints "transition".</summary>
    public override bool InTransition => State != PlannerState.Stable || PendingKeys.Count > 0 || _standby is not null;

    /// <summary>nice_failback needs only a live peer: one not declared dead (it may still be starting).</summary>
    public override bool CountsAsAlive(Membership.PeerNode peer) => !peer.IsDead;

    /// <summary>Communication is up: announce ourselves with <c>starting</c>. Peers already dead are taken over.</summary>
    public override void CommunicationUp(IReadOnlyCollection<string> deadPeers, bool anyPeerAlive)
    {
        if (State != PlannerState.Init)
        {
            return;
        }

        State = PlannerState.Starting;
        _peerAlive = anyPeerAlive;
        Send(new HaMessage([HaField.String(WireFields.Type, ResourceMessages.Starting), HaField.String(ImplementationField, ImplementationVersion)]));
        foreach (string peer in deadPeers)
        {
            PeerDied(peer);
        }

        if (!anyPeerAlive)
        {
            // Alone: no live peer will report; our own report moves us on and the 10 s timer runs (rscstatus shows
            // "transition" meanwhile). 3.0.6 takes its own groups at once beside the dead peer's (mach_down runs
            // beside req_our_resources; behaviour-startup-alone-initdead: every VIP up 0.6 s after initdead), so a
            // lone node is serving right after initdead, not 10 s later.
            SendReport(isStable: false, info: null);
            EnterResourcesReceived();
            if (deadPeers.Count > 0)
            {
                _claimed |= HoldSet.Local;
                foreach (var group in Resources.Groups.Where(g => IsLocal(g) && !HeldKeys.Contains(g.Key) && !PendingKeys.Contains(g.Key)))
                {
                    Acquire(group.Key, "local group, alone", GroupCause.Placement);
                }
            }
        }
    }

    /// <summary>A cluster message from a peer (membership already authenticated and ordered it).</summary>
    public override void Received(string from, HaMessage message)
    {
        _peerAlive = true;
        if (ReceivedHealNotice(from, message))
        {
            return;
        }

        switch (message.Type)
        {
            case ResourceMessages.Starting:
                _peerChoseStandby = false;
                PeerIsOurs = message.GetString(ImplementationField) is not null;
                if (State is PlannerState.Starting)
                {
                    State = PlannerState.BothStarting;
                }

                // Answer every peer's starting with a full report (3.0.6 does so only once its own comm is up).
                if (State != PlannerState.Init)
                {
                    SendReport(isStable: State == PlannerState.Stable, info: null);
                    if (State is PlannerState.Starting or PlannerState.BothStarting)
                    {
                        EnterResourcesReceived();
                    }
                }

                break;
            case ResourceMessages.Resource:
                ResourceReport(message);
                break;
            case ResourceMessages.AskResources:
                StandbyMessage(message);
                break;
            case ResourceMessages.HbTakeover:
                // rc.d/hb_takeover on the peer runs hb_standby with the mirrored set; "failback" becomes all (3.0.6 quirk).
                RequestStandby(message.GetString(ResourceFields.RscHold) switch
                {
                    "local" => HoldSet.Foreign,
                    "foreign" => HoldSet.Local,
                    _ => HoldSet.All,
                });
                break;
        }
    }

    /// <summary>The peer left gracefully and holds nothing now: take its groups at once, no deadtime wait.</summary>
    public override void PeerShutDown(string peer)
    {
        CancelHeal();
        _healTakeover = null;
        _peerAlive = false;
        PeerReports = HoldSet.None;
        TakeOver(peer, "peer shut down", GroupCause.PeerShutDown);
    }

    /// <summary>Membership declared the peer dead: STONITH notice, then its groups are ours (mach_down).</summary>
    public override void PeerDied(string peer)
    {
        if (!_deadPeers.Add(peer))
        {
            return;
        }

        CancelHeal();

        // A death starts afresh: a group that fails here now is handed to the peer when it returns, even if it was handed
        // over after a failed start before (the peer held it since; without this the group would stay down once it is back).
        _handedOverAfterFailure.Clear();

        // 3.0.6 needs no reset when the dead node was known to hold nothing (after its shutdown report). Decided
        // while the peer still counts as alive, so its last report tells what it held.
        DecideFencing(peer, needed: PeerReports != HoldSet.None || State == PlannerState.Starting);
        _reportsAtDeath = PeerReports;
        _healTakeover = null;
        _peerAlive = false;
        _peerSaidStable = false;
        PeerReports = HoldSet.None;
        TakeOver(peer, "peer dead", GroupCause.PeerDead);
    }

    /// <summary>The peer is back (a restart): it may report and negotiate again.</summary>
    public override void PeerReturned(string peer)
    {
        CancelHeal();
        _healTakeover = null;
        _peerAlive = true;
        _deadPeers.Remove(peer);
        _peerChoseStandby = false;
        _peerSaidStable = false;
    }

    protected override TimeSpan? EarliestTimer()
    {
        var next = base.EarliestTimer();
        if (State == PlannerState.ResourcesReceived && _stableAt is { } at)
        {
            next = Earlier(next, at);
        }

        if (_standby is { Step: StandbyStep.AwaitingOther } waiting)
        {
            next = Earlier(next, waiting.Since + StandbyReplyTimeout + TimeSpan.FromTicks(1));
        }

        if (_healTakeover is { Answered: false } asking)
        {
            next = Earlier(next, asking.NextAsk);
        }

        return next;
    }

    public override void Tick()
    {
        base.Tick();
        if (State == PlannerState.ResourcesReceived && _stableAt is { } at && Now >= at)
        {
            BecomeStable();
        }

        if (_standby is { Step: StandbyStep.AwaitingOther } waiting && Now - waiting.Since > StandbyReplyTimeout)
        {
            // 3.0.6: "No reply to standby request. Standby request cancelled."
            _standby = null;
        }

        ReconsiderHealCopies(exchangeEnded: false);
        HandOverFailedGroups();
    }

    protected override bool KeepUntilTakenOver(ResourceGroupSpec group) => PeerIsOurs && _peerAlive && _deadPeers.Count == 0 && AddressesOnly(group);

    protected override void AfterGroupStarted(string key, bool success)
    {
        SendTookOverIfDone();
        SendOtherIfDone();
        if (success)
        {
            _handedOverAfterFailure.Remove(key);
        }
        else
        {
            GroupStartFailed(key);
        }

        FinishAcquisitionIfDone();
    }

    /// <summary>
    /// The takeover did not happen: mach_down's "I now also hold foreign" must not go out, nor may the foreign class
    /// stay claimed with no foreign group held, or a peer that restarted would wait for us to run its groups.
    /// </summary>
    protected override void AfterStartWithdrawn(string key)
    {
        _due.MachDown = false;
        if (!Resources.Groups.Any(g => !IsLocal(g) && (HeldKeys.Contains(g.Key) || PendingKeys.Contains(g.Key))))
        {
            _claimed &= ~HoldSet.Foreign;
        }

        SendTookOverIfDone();
        SendOtherIfDone();
        FinishAcquisitionIfDone();
    }

    protected override void AfterGroupStopped(string key)
    {
        FinishStandbyStopsIfDone();

        // A copy left up by a killed run and released because the peer holds the group (BecomeStable) delays the
        // req_our_resources report until its stop is done: without this the report never went out, so with
        // auto_failback on the peer never handed the group back.
        FinishAcquisitionIfDone();
    }

    /// <summary>nice_failback announces the leave before stopping anything: resource none isstable=0 info=shutdown.</summary>
    protected override void OnShutdown()
    {
        _claimed = HoldSet.None;
        SendReport(HoldSet.None, isStable: false, info: "shutdown");
    }

    protected override void OnHealStarted()
    {
        _standby = null;
        if (!PeerIsOurs)
        {
            // A real peer back with the same generation did not restart: it claims what it claimed (see ResourcePlanner.Heal.cs).
            PeerReports = _reportsAtDeath;
            _peerHoldsOurs = (PeerReports & HoldSet.Foreign) != 0;
        }
    }

    /// <summary>The heal is settled: we hold our home class only; a fresh full report puts the peer's view right.</summary>
    protected override void AfterHeal()
    {
        if (!Resources.Groups.Any(g => !IsLocal(g) && (HeldKeys.Contains(g.Key) || PendingKeys.Contains(g.Key))))
        {
            _claimed &= ~HoldSet.Foreign;
        }

        // Our home groups yielded to a real peer that kept them: the class is its now (claiming it too would make it
        // log "Both machines own foreign resources!").
        if ((PeerReports & HoldSet.Foreign) != 0 && !Resources.Groups.Any(g => IsLocal(g) && (HeldKeys.Contains(g.Key) || PendingKeys.Contains(g.Key))))
        {
            _claimed &= ~HoldSet.Local;
        }

        _peerHoldsOurs = false;
        if (State == PlannerState.Stable)
        {
            SendReport(isStable: true, info: null);
        }
    }

    private void EnterResourcesReceived()
    {
        State = PlannerState.ResourcesReceived;
        _stableAt ??= Now + StartupDelay;
    }

    private void BecomeStable()
    {
        State = PlannerState.Stable;

        // req_our_resources: take our own groups unless the peer reports holding them (then a copy left by our
        // earlier run must go).
        if (_peerHoldsOurs)
        {
            ReleaseLeftovers("left up by an earlier run; the peer holds it now", GroupCause.Leftover);
        }
        else
        {
            _claimed |= HoldSet.Local;
            foreach (var group in Resources.Groups.Where(g => IsLocal(g) && !HeldKeys.Contains(g.Key)))
            {
                Acquire(group.Key, "local group", GroupCause.Placement);
            }
        }

        _due.ReqOurResources = true;
        FinishAcquisitionIfDone();
    }

    private void TakeOver(string peer, string reason, GroupCause cause)
    {
        bool any = false;
        foreach (var group in Resources.Groups.Where(g => string.Equals(g.Node, peer, StringComparison.OrdinalIgnoreCase)))
        {
            any |= !HeldKeys.Contains(group.Key) || _tookOverKeys.Contains(group.Key);
            TakeOrAnnounce(group.Key, reason, cause);
        }

        _tookOverKeys.Clear();

        _peerHoldsOurs = false;
        _claimed |= HoldSet.Foreign;
        if (State == PlannerState.Stable)
        {
            _claimed |= HoldSet.Local;
            // Our own groups too, if the peer had them (mach_down runs beside req_our_resources).
            foreach (var group in Resources.Groups.Where(g => IsLocal(g) && !HeldKeys.Contains(g.Key) && !PendingKeys.Contains(g.Key)))
            {
                Acquire(group.Key, reason, cause);
                any = true;
            }
        }

        if (any)
        {
            _due.MachDown = true;
        }

        _due.ReqOurResources |= State == PlannerState.Stable;
        FinishAcquisitionIfDone();
    }
}
