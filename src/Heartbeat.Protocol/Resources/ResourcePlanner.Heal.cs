using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// A heal beside a real 3.0.6 peer. Ours settles a heal in place (PlannerBase.Heal.cs): each node keeps its home
/// groups and the peer releases its copies once it hears our notice. 3.0.6 ignores the notice, and a 3.0.6 node that
/// did not itself declare us dead before it heard us again (it was the stalled side, or only its messages to us were
/// lost) neither restarts nor gives anything up: it keeps every group it claimed, and the group is up on both nodes
/// until an operator acts ("ERROR: Both machines own our resources!" in its log; chaos seeds 20261219-21, 7-27 s).
/// So at a heal we read again what the peer claimed when we declared it dead (a node that did not restart still
/// claims it) and ask for every group held here that it claims, with 3.0.6's own <c>hb_takeover</c>: its
/// rc.d/hb_takeover runs hb_standby for the mirrored class, it stops its copies and the standby exchange ends with us
/// holding them, having held them throughout (make-before-break: our re-announcement went first, so clients never
/// leave us). The heal stays open for its fallback's 30 s, so a peer that claims more later (its own takeover after a
/// stall) is asked too. A 3.0.6 that saw the partition restarts instead (shutdone) and the heal is void. One that refuses
/// ("Other side is in flux") is asked again; if it still claims them when the heal's fallback runs out, we yield our
/// copies, which is 3.0.6's own answer (the node that saw the partition gives everything up). With auto_failback on,
/// only our home groups are asked for (see <see cref="ReconsiderHealCopies"/>).
/// </summary>
public sealed partial class ResourcePlanner
{
    /// <summary>How often a real peer that has not begun the standby exchange is asked again for the copies it kept.</summary>
    public static readonly TimeSpan HealTakeoverRetry = TimeSpan.FromSeconds(5);

    /// <summary>The request for a real peer's copies: the class asked for (our point of view), when to ask again, whether it answered.</summary>
    private sealed class HealTakeover(HoldSet set, TimeSpan nextAsk)
    {
        /// <summary>hb_takeover's class: local for our home groups, foreign for the peer's, all for both.</summary>
        public HoldSet Set { get; } = set;

        public TimeSpan NextAsk { get; } = nextAsk;

        /// <summary>How many times the peer has been asked in this heal (for the log).</summary>
        public int Attempts { get; init; }

        /// <summary>The peer began the standby exchange (its <c>ask_resources me</c>): no more asking, the exchange ends it.</summary>
        public bool Answered { get; set; }
    }

    /// <summary>Our home groups are re-announced at a heal: a real peer is asked for what it still claims of what we hold.</summary>
    protected override void AfterReannounced(string peer)
    {
        if (PeerIsOurs)
        {
            return;
        }

        ReconsiderHealCopies(exchangeEnded: false);
    }

    /// <summary>At the fallback a real peer that kept them keeps them: our copies of what it still claims go.</summary>
    protected override IEnumerable<string> CopiesToYieldAtFallback(string peer)
    {
        if (PeerIsOurs)
        {
            return base.CopiesToYieldAtFallback(peer);
        }

        return Resources.Groups.Where(g => HeldKeys.Contains(g.Key) && !PendingKeys.Contains(g.Key) && PeerHolds(g.Key)).Select(g => g.Key);
    }

    /// <summary>
    /// Where the request for a real peer's copies stands, decided again at the heal, on each of the peer's reports, on
    /// the timer and when the exchange it began ends: nothing held here claimed by the peer any more (it gave its copies
    /// up, restarted, went standby on its own) settles the heal; otherwise the peer is asked, again every
    /// <see cref="HealTakeoverRetry"/> while it has not begun the exchange, and anew for a wider class when it claims
    /// more (3.0.6's own mach_down after its stall can take our home groups too). While an exchange it began runs,
    /// nothing is decided: its giver's report comes before its stops.
    /// </summary>
    private void ReconsiderHealCopies(bool exchangeEnded)
    {
        if (HealAwaitingPeer is not { } peer || PeerIsOurs)
        {
            // No heal, one still re-announcing (the peer's claims are read again after), or one that ended without us
            // (its fallback yielded our copies): nothing is asked.
            _healTakeover = null;
            return;
        }

        if (_healTakeover is { Answered: true } && !exchangeEnded)
        {
            return;
        }

        var twice = ClaimedByPeerAndHeldHere();
        if (twice == HoldSet.None)
        {
            // Nothing is up on both nodes. Once the exchange we asked for has ended, the heal is settled. Before that the
            // heal stays open until its fallback, which releases only what the peer then claims: a 3.0.6 that woke from
            // a stall during its own start-up claims nothing yet, then declares us dead and takes everything over (chaos
            // seed 20261221, 52 s on both nodes), and is asked when its report says so.
            _healTakeover = null;
            if (exchangeEnded)
            {
                PeerSettledWithoutRelease();
            }

            return;
        }

        // With auto_failback on the peer's home groups would only be handed back at once, and a 3.0.6 that saw the
        // partition restarts about 2 s after the heal while the two exchanges run: those stay with the peer, our
        // copies go at the fallback (or at its restart's shutdone we hold them alone). Our home groups are always
        // asked for: they would come back here anyway.
        var wanted = Policy == AutoFailback.On ? twice & HoldSet.Local : twice;
        if (wanted == HoldSet.None)
        {
            _healTakeover = null;
            return;
        }

        if (_healTakeover is { Answered: false } asking && asking.Set == wanted && Now < asking.NextAsk)
        {
            return;
        }

        int attempt = (_healTakeover?.Attempts ?? 0) + 1;
        _healTakeover = new HealTakeover(wanted, Now + HealTakeoverRetry) { Attempts = attempt };

        // hb_takeover names the class from the asker's side; the peer's rc.d/hb_takeover mirrors it for hb_standby.
        Send(new HaMessage([HaField.String(WireFields.Type, ResourceMessages.HbTakeover), HaField.String(ResourceFields.RscHold, Name(wanted))]));
        AskedPeerToYield(peer, Name(wanted), attempt);
    }

    /// <summary>
    /// The peer has stopped the copies we asked for (its <c>done</c>): the groups of that set held here all along are
    /// announced again. A 3.0.6 that woke from a stall may have taken them over with its own gratuitous ARP after our
    /// heal announcement (its mach_down of the node it then thought dead), and clients that followed it would wait for
    /// their neighbour entry to go stale once it deletes its copy (1.8 s of outage in StallTests). Its standby report,
    /// before its stops, has announced them once already (<see cref="AnnounceWhenPeerLetGo"/>): clients are back on us
    /// while it still holds the address, and again after its stops, past its send_arp's last repeat.
    /// </summary>
    private void AnnounceCopiesGivenUp(HoldSet set)
    {
        if (_healTakeover is not { Answered: true })
        {
            return;
        }

        foreach (var key in GroupsOfSet(set, fromGiver: false).Where(k => HeldKeys.Contains(k) && !PendingKeys.Contains(k)))
        {
            TakeOrAnnounce(key, "partition healed, the peer gave up its copy", GroupCause.PartitionHeal);
        }
    }

    /// <summary>
    /// A real peer's report no longer claims a class it claimed (its restart's "resource none info=shutdown", its
    /// standby report): our held groups of that class are announced again. While it claimed them it may have held a copy
    /// and drawn clients with its own ARP (3.0.6's mach_down after a one-way cut, which it then ends by restarting), and
    /// it deletes that copy without an ARP: clients kept its MAC until their neighbour entry failed, 47 s of outage in
    /// chaos seed 20261223 while ours held the group throughout.
    /// </summary>
    private void AnnounceWhenPeerLetGo(HoldSet claimedBefore)
    {
        var dropped = claimedBefore & ~PeerReports;
        if (PeerIsOurs || dropped == HoldSet.None || State != PlannerState.Stable)
        {
            return;
        }

        // The peer's foreign class is our home groups, its local class the groups whose home it is.
        foreach (var group in Resources.Groups.Where(g => HeldKeys.Contains(g.Key) && !PendingKeys.Contains(g.Key)
            && (dropped & (IsLocal(g) ? HoldSet.Foreign : HoldSet.Local)) != 0))
        {
            TakeOrAnnounce(group.Key, "the peer gave up its claim on the group", GroupCause.PartitionHeal);
        }
    }

    /// <summary>The classes (our point of view) of the groups held here that the peer also claims.</summary>
    private HoldSet ClaimedByPeerAndHeldHere()
    {
        var set = HoldSet.None;
        foreach (var group in Resources.Groups)
        {
            if (HeldKeys.Contains(group.Key) && PeerHolds(group.Key))
            {
                set |= IsLocal(group) ? HoldSet.Local : HoldSet.Foreign;
            }
        }

        return set;
    }
}
