using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Protocol.Resources;

/// <summary>The resource state of a node as 3.0.6's nice_failback code numbers it ("STATE a => b" in its debug log).</summary>
public enum PlannerState
{
    Init = 0,
    Starting = 1,
    BothStarting = 2,
    ResourcesReceived = 3,
    Stable = 4,
    ShuttingDown = 5,
}

/// <summary>Which class of groups a node holds: local (its own haresources lines), foreign (the other node's), both or none.</summary>
[Flags]
public enum HoldSet
{
    None = 0,
    Local = 1,
    Foreign = 2,
    All = Local | Foreign,
}

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
/// Heartbeat 3.0.6's v1 resource negotiation for <c>auto_failback on</c> and <c>off</c> (the "nice_failback" protocol,
/// behaviour.md §3–5), as a pure state machine: start-up (<c>starting</c>, <c>resource</c> reports, the fixed 10 s
/// wait), takeover when the peer dies or leaves, and the graceful leave. Messages and fields are those a 3.0.6 node
/// sends, so a real peer follows the exchange. Time comes from the <see cref="TimeProvider"/>; nothing here does I/O.
/// </summary>
public sealed class ResourcePlanner : PlannerBase
{
    /// <summary>RQSTDELAY: 3.0.6 waits a fixed 10 s after the first resource report before it takes its own groups.</summary>
    public static readonly TimeSpan StartupDelay = TimeSpan.FromSeconds(10);

    private readonly HashSet<string> _deadPeers = new(StringComparer.Ordinal);
    private TimeSpan? _stableAt;
    private bool _reportAfterAcquire;
    private bool _peerHoldsOurs;
    private bool _machDownReport;
    private Standby? _standby;

    /// <summary>
    /// The classes this node took by the protocol (req_our_resources, mach_down, a standby takeover), whether or not they
    /// contain groups. 3.0.6 reports them (behaviour.md §8: a node without home groups still reports local), and a real
    /// peer logs "Both machines own foreign resources!" or "No one owns foreign resources!" when the classes disagree.
    /// </summary>
    private HoldSet _claimed;

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

    /// <summary>What the peer last reported holding (its <c>rsc_hold</c>), from its point of view.</summary>
    public HoldSet PeerReports { get; private set; } = HoldSet.None;

    /// <summary>
    /// Whether the live peer's last report covers this group: its "local" class is the groups whose home it is, its
    /// "foreign" class ours. Class bookkeeping, as 3.0.6's: it says what the peer claims, not what its scripts did.
    /// </summary>
    public override bool PeerHolds(string key) =>
        _peerAlive && Resources.Groups.FirstOrDefault(g => g.Key == key) is { } group
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
        _peerAlive = false;

        // 3.0.6 needs no reset when the dead node was known to hold nothing (after its shutdown report).
        SendStonith(peer, needed: PeerReports != HoldSet.None || State == PlannerState.Starting);
        PeerReports = HoldSet.None;
        TakeOver(peer, "peer dead", GroupCause.PeerDead);
    }

    /// <summary>The peer is back (a restart): it may report and negotiate again.</summary>
    public override void PeerReturned(string peer)
    {
        CancelHeal();
        _peerAlive = true;
        _deadPeers.Remove(peer);
        _peerChoseStandby = false;
    }

    /// <summary>Whether the peer is up as far as resources go (heard, not dead, not left).</summary>
    private bool _peerAlive;

    protected override TimeSpan? EarliestTimer()
    {
        var next = base.EarliestTimer();
        if (State == PlannerState.ResourcesReceived && _stableAt is { } at)
        {
            next = Earlier(next, at);
        }

        if (_standby is { Giving: true, OtherAnswered: false } waiting)
        {
            next = Earlier(next, waiting.Since + StandbyReplyTimeout + TimeSpan.FromTicks(1));
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

        if (_standby is { Giving: true, OtherAnswered: false } waiting && Now - waiting.Since > StandbyReplyTimeout)
        {
            // 3.0.6: "No reply to standby request. Standby request cancelled."
            _standby = null;
        }

        HandOverFailedGroups();
    }

    /// <summary>Groups started ahead for a peer that is leaving or going standby (make-before-break).</summary>
    private readonly HashSet<string> _tookOverKeys = new(StringComparer.Ordinal);
    private bool _tookOverDue;
    private bool _otherDue;

    private void SendTookOverIfDone()
    {
        if (_tookOverDue && !_tookOverKeys.Any(PendingKeys.Contains))
        {
            _tookOverDue = false;
            SendTookOver();
        }
    }

    private void SendOtherIfDone()
    {
        if (_otherDue && _standby is { Giving: false } taking && !_tookOverKeys.Any(PendingKeys.Contains))
        {
            _otherDue = false;
            Send(AskResources(taking.Set, "other"));
        }
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
        else if (_handedOverAfterFailure.Add(key))
        {
            // 3.0.6 runs hb_standby foreign 30 s after any failed start, whatever the group's class (behaviour.md §11.3),
            // so a failed home group is never handed over. We give up the failed group's own class, as soon as the
            // cluster is stable, once per group: a group that fails on both nodes does not bounce between them.
            _failedToHandOver.Add(key);
        }

        FinishAcquisitionIfDone();
    }

    /// <summary>Groups whose start failed here and that wait to be handed to the peer with a standby of their class.</summary>
    private readonly HashSet<string> _failedToHandOver = new(StringComparer.Ordinal);

    /// <summary>Groups handed over after a failed start (not again until one of their starts succeeds here).</summary>
    private readonly HashSet<string> _handedOverAfterFailure = new(StringComparer.Ordinal);

    /// <summary>Hands the groups whose start failed to a live peer (see <see cref="AfterGroupStarted"/>).</summary>
    private void HandOverFailedGroups()
    {
        if (_failedToHandOver.Count == 0 || State != PlannerState.Stable || _deadPeers.Count > 0 || !_peerAlive || InTransition || Healing)
        {
            return;
        }

        var set = HoldSet.None;
        foreach (var group in Resources.Groups.Where(g => _failedToHandOver.Contains(g.Key)))
        {
            set |= IsLocal(group) ? HoldSet.Local : HoldSet.Foreign;
        }

        _failedToHandOver.Clear();
        if (set != HoldSet.None)
        {
            RequestStandby(set);
        }
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

    private void ResourceReport(HaMessage message)
    {
        var reported = Parse(message.GetString(ResourceFields.RscHold));
        bool partial = message.GetString(ResourceFields.ReportType) is null;
        if (message.GetString(ResourceFields.Info) == "shutdown" && message.GetString(ImplementationField) is not null && State == PlannerState.Stable)
        {
            // A peer of ours is leaving and keeps its addresses until we have them: take every address-only group we do
            // not hold now, then say so (the rest follows its shutdone, as with 3.0.6).
            PeerIsOurs = true;
            foreach (var group in Resources.Groups.Where(g => AddressesOnly(g) && !HeldKeys.Contains(g.Key)))
            {
                Acquire(group.Key, "peer leaving, make-before-break", GroupCause.PeerLeaving);
                _tookOverKeys.Add(group.Key);
            }

            _tookOverDue = true;
            SendTookOverIfDone();
        }

        PeerReports = partial ? PeerReports | reported : reported;
        _peerHoldsOurs = (PeerReports & HoldSet.Foreign) != 0;
        if (!partial)
        {
            PeerIsOurs = message.GetString(ImplementationField) is not null;
        }

        if (State is PlannerState.Starting or PlannerState.BothStarting)
        {
            EnterResourcesReceived();
        }

        if (State == PlannerState.ResourcesReceived && message.GetString(ResourceFields.IsStable) == "1")
        {
            BecomeStable();
        }
        else if (State == PlannerState.ResourcesReceived && PeerIsOurs && !partial && !_peerHoldsOurs)
        {
            // Both starting, and the peer is one of ours whose full report already says it holds none of our groups:
            // the fixed 10 s wait exists so that both reports are known, and they are. A real peer still waits it out.
            BecomeStable();
        }

        // auto_failback on: the node holding the peer's groups hands them back once the peer is up and stable.
        if (Policy == AutoFailback.On && State == PlannerState.Stable && _standby is null && !partial && !_peerChoseStandby
            && message.GetString(ResourceFields.IsStable) == "1" && (reported & HoldSet.Local) == 0 && (Holding & HoldSet.Foreign) != 0
            && Resources.Groups.Any(g => !IsLocal(g) && HeldKeys.Contains(g.Key)))
        {
            _standbyDoneSent = false;
            RequestStandby(HoldSet.Foreign);
        }
    }

    protected override void OnHealStarted() => _standby = null;

    /// <summary>The heal is settled: we hold our home class only; a fresh full report puts the peer's view right.</summary>
    protected override void AfterHeal()
    {
        if (!Resources.Groups.Any(g => !IsLocal(g) && (HeldKeys.Contains(g.Key) || PendingKeys.Contains(g.Key))))
        {
            _claimed &= ~HoldSet.Foreign;
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

        _reportAfterAcquire = true;
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
            _machDownReport = true;
        }

        _reportAfterAcquire |= State == PlannerState.Stable;
        FinishAcquisitionIfDone();
    }

    private void FinishAcquisitionIfDone()
    {
        if (PendingKeys.Count > 0 || State == PlannerState.ShuttingDown)
        {
            return;
        }

        if (_reportAfterAcquire && State == PlannerState.Stable)
        {
            _reportAfterAcquire = false;
            SendReport(isStable: true, info: "req_our_resources()");
        }

        if (_standbyTakeoverReport && _standby is { Giving: false } taking)
        {
            _standbyTakeoverReport = false;
            _standby = null;
            _peerChoseStandby = true;
            SendReport(isStable: true, info: null);
            Send(AskResources(taking.Set, "done"));
        }

        if (_machDownReport)
        {
            // mach_down's partial update: "I now also hold foreign".
            _machDownReport = false;
            Send(new HaMessage([HaField.String(WireFields.Type, ResourceMessages.Resource), HaField.String(ResourceFields.RscHold, "foreign"), HaField.String(ResourceFields.Info, "mach_down")]));
        }
    }

    private void SendReport(bool isStable, string? info) => SendReport(Holding, isStable, info);

    private void SendReport(HoldSet hold, bool isStable, string? info)
    {
        var fields = new List<HaField>
        {
            HaField.String(WireFields.Type, ResourceMessages.Resource),
            HaField.String(ResourceFields.RscHold, Name(hold)),
            HaField.String(ResourceFields.ReportType, "full"),
            HaField.String(ResourceFields.IsStable, isStable ? "1" : "0"),
        };
        fields.Add(HaField.String(ImplementationField, ImplementationVersion));
        if (info is not null)
        {
            fields.Add(HaField.String(ResourceFields.Info, info));
        }

        Send(new HaMessage(fields));
    }


    /// <summary>A standby exchange in progress: our role, the set (named from the giver's point of view), when it began.</summary>
    private sealed record Standby(bool Giving, HoldSet Set, TimeSpan Since)
    {
        public bool OtherAnswered { get; set; }
    }

    /// <summary>3.0.6 cancels a standby request that gets no answer within 10 s.</summary>
    public static readonly TimeSpan StandbyReplyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Whether a standby/takeover exchange is running (rscstatus "transition").</summary>
    public bool StandbyInProgress => _standby is not null;

    /// <summary>
    /// hb_standby: give up <paramref name="set"/> (local = our home groups, foreign = the peer's, all) to the peer with
    /// the three-phase ask_resources exchange (behaviour.md §6.1). Returns why it is refused, or null.
    /// </summary>
    public override string? RequestStandby(HoldSet set)
    {
        if (State != PlannerState.Stable)
        {
            return "local resources in flux";
        }

        if (_standby is not null)
        {
            return "standby in progress";
        }

        _standby = new Standby(Giving: true, set, Now);
        _standbyDoneSent = false;
        Send(AskResources(set, "me"));
        return null;
    }

    /// <summary>hb_takeover: ask the peer to go standby so that we take <paramref name="what"/> (all, local, foreign, failback).</summary>
    public override string? RequestTakeover(string what)
    {
        Send(new HaMessage([HaField.String(WireFields.Type, ResourceMessages.HbTakeover), HaField.String(ResourceFields.RscHold, what)]));
        return null;
    }

    /// <summary>nice_failback needs only a live peer: one not declared dead (it may still be starting).</summary>
    public override bool CountsAsAlive(Membership.PeerNode peer) => !peer.IsDead;

    private void StandbyMessage(HaMessage message)
    {
        var set = Parse(message.GetString(ResourceFields.RscHold));
        switch (message.GetString(ResourceFields.Info))
        {
            case "me" when _standby is null && State == PlannerState.Stable:
                // The peer gives up its set S: we will take the complement once it says done. A peer of ours gets
                // make-before-break: its address-only groups are up and announced here before we answer, so it stops
                // them after clients already point at us (a real peer would not expect us to hold them yet).
                _standby = new Standby(Giving: false, set, Now);
                _tookOverKeys.Clear();
                if (PeerIsOurs)
                {
                    foreach (var key in GroupsOfSet(set, fromGiver: false).Where(k => !HeldKeys.Contains(k) && AddressesOnly(Resources.Groups.First(g => g.Key == k))))
                    {
                        _claimed |= set switch { HoldSet.Local => HoldSet.Foreign, HoldSet.Foreign => HoldSet.Local, _ => HoldSet.All };
                        Acquire(key, "peer going standby, make-before-break", GroupCause.Standby);
                        _tookOverKeys.Add(key);
                    }
                }

                _otherDue = true;
                SendOtherIfDone();
                break;
            case "other" when _standby is { Giving: true, OtherAnswered: false } giving:
                giving.OtherAnswered = true;
                var toStop = GroupsOfSet(set, fromGiver: true).ToList();
                _claimed &= ~set;
                var keep = Holding & ~set;
                SendReport(keep == HoldSet.All ? HoldSet.All : keep, isStable: false, info: "standby");
                foreach (var key in toStop)
                {
                    Release(key, $"standby {Name(set)}", GroupCause.Standby);
                }

                FinishStandbyStopsIfDone();
                break;
            case "done" when _standby is { Giving: false } taking:
                // The giver's local is our foreign and the other way round.
                _claimed |= taking.Set switch
                {
                    HoldSet.Local => HoldSet.Foreign,
                    HoldSet.Foreign => HoldSet.Local,
                    _ => HoldSet.All,
                };
                foreach (var key in GroupsOfSet(taking.Set, fromGiver: false).Where(k => !HeldKeys.Contains(k)))
                {
                    Acquire(key, $"peer went standby {Name(taking.Set)}", GroupCause.Standby);
                }

                _standbyTakeoverReport = true;
                FinishAcquisitionIfDone();
                break;
            case "done" when _standby is { Giving: true }:
                _standby = null;
                SendReport(isStable: true, info: null);
                SendReport(isStable: true, info: null);
                break;
        }
    }

    private bool _standbyTakeoverReport;

    /// <summary>
    /// The peer gave us its groups on purpose (hb_standby): auto_failback does not hand them straight back, as in
    /// behaviour-hb_standby-all; it applies again once the peer starts anew.
    /// </summary>
    private bool _peerChoseStandby;

    /// <summary>The groups of a standby set: from the giver's view (what it stops) or from the taker's (what it starts).</summary>
    private IEnumerable<string> GroupsOfSet(HoldSet set, bool fromGiver)
    {
        foreach (var group in Resources.Groups)
        {
            bool giversLocal = fromGiver ? IsLocal(group) : !IsLocal(group);
            bool inSet = set == HoldSet.All || (set == HoldSet.Local && giversLocal) || (set == HoldSet.Foreign && !giversLocal);
            if (inSet)
            {
                yield return group.Key;
            }
        }
    }

    private void FinishStandbyStopsIfDone()
    {
        if (_standby is { Giving: true, OtherAnswered: true } giving && PendingKeys.Count == 0 && !_standbyDoneSent)
        {
            _standbyDoneSent = true;
            Send(AskResources(giving.Set, "done"));
        }
    }

    private bool _standbyDoneSent;

    private static HaMessage AskResources(HoldSet set, string info) =>
        new([HaField.String(WireFields.Type, ResourceMessages.AskResources), HaField.String(ResourceFields.RscHold, Name(set)), HaField.String(ResourceFields.Info, info)]);

    public static string Name(HoldSet set) => set switch
    {
        HoldSet.Local => "local",
        HoldSet.Foreign => "foreign",
        HoldSet.All => "all",
        _ => "none",
    };

    public static HoldSet Parse(string? text) => text switch
    {
        "local" => HoldSet.Local,
        "foreign" => HoldSet.Foreign,
        "all" => HoldSet.All,
        _ => HoldSet.None,
    };
}
