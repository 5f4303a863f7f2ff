using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// hb_standby and hb_takeover: the three-phase <c>ask_resources</c> exchange (behaviour.md §6.1) — the giver says
/// <c>me</c>, the taker answers <c>other</c>, the giver stops its set and says <c>done</c>, the taker starts it and
/// says <c>done</c>.
/// </summary>
public sealed partial class ResourcePlanner
{
    /// <summary>3.0.6 cancels a standby request that gets no answer within 10 s.</summary>
    public static readonly TimeSpan StandbyReplyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Where a standby exchange stands on our side (3.0.6's going_standby: NOT is no exchange at all).</summary>
    private enum StandbyStep
    {
        /// <summary>Giver, going_standby = ME: our <c>me</c> is sent and the peer's <c>other</c> awaited, 10 s at most.</summary>
        AwaitingOther,

        /// <summary>Giver, still ME once the peer said <c>other</c> (go_standby(ME)): the set's groups are stopping.</summary>
        Releasing,

        /// <summary>Giver, going_standby = DONE: our <c>done</c> is sent; the peer's <c>done</c> ends the exchange.</summary>
        Released,

        /// <summary>
        /// Taker, going_standby = OTHER and then DONE: the peer gives up its set; what we still owe it (<c>other</c>, then
        /// the report and <c>done</c>) is in <see cref="PendingReports"/>.
        /// </summary>
        Taking,
    }

    /// <summary>A standby exchange in progress: our step, the set (named from the giver's point of view), when it began.</summary>
    private sealed class StandbyExchange(StandbyStep step, HoldSet set, TimeSpan since)
    {
        public StandbyStep Step { get; set; } = step;

        /// <summary>standby_rsctype.</summary>
        public HoldSet Set { get; } = set;

        public TimeSpan Since { get; } = since;

        public bool Giving => Step != StandbyStep.Taking;
    }

    /// <summary>Whether a standby/takeover exchange is running (rscstatus "transition").</summary>
    public bool StandbyInProgress => _standby is not null;

    /// <summary>
    /// hb_standby: give up <paramref name="set"/> (local = our home groups, foreign = the peer's, all) to the peer with
    /// the three-phase ask_resources exchange (behaviour.md §6.1). Returns why it is refused, or null.
    /// </summary>
    /// <param name="set">The groups to give up.</param>
    /// <param name="apiClient">
    /// The heartbeat API client that asks, or null. 3.0.6's ipfail builds the request itself (t, rsc_hold, src, info)
    /// and sends it through heartbeat's API, which adds from_id, to_id and client_gen (hb_api.c); so does ours, field
    /// for field, so that a capture tells ipfail's giveup from an admin's hb_standby.
    /// </param>
    public override string? RequestStandby(HoldSet set, string? apiClient = null)
    {
        if (State != PlannerState.Stable)
        {
            return "local resources in flux";
        }

        if (_standby is not null)
        {
            return "standby in progress";
        }

        _standby = new StandbyExchange(StandbyStep.AwaitingOther, set, Now);
        Send(apiClient is null ? AskResources(set, "me") : new HaMessage(
        [
            HaField.String(WireFields.Type, ResourceMessages.AskResources),
            HaField.String(ResourceFields.RscHold, Name(set)),
            HaField.String(WireFields.Src, LocalNode),
            HaField.String(ResourceFields.Info, "me"),
            .. ApiClientFields.Stamp(apiClient),
        ]));
        return null;
    }

    /// <summary>hb_takeover: ask the peer to go standby so that we take <paramref name="what"/> (all, local, foreign, failback).</summary>
    public override string? RequestTakeover(string what)
    {
        // The admin asks for the groups here again: a group handed over after an earlier failed start here gets one more
        // chance, and is handed back again if it fails again (chaos seed 20261207: remembered from the first failure, the
        // second failed start was kept by nobody, the peer having given it up for the takeover).
        _handedOverAfterFailure.Clear();
        Send(new HaMessage([HaField.String(WireFields.Type, ResourceMessages.HbTakeover), HaField.String(ResourceFields.RscHold, what)]));
        return null;
    }

    private void StandbyMessage(HaMessage message)
    {
        var set = Parse(message.GetString(ResourceFields.RscHold));
        switch (message.GetString(ResourceFields.Info))
        {
            case "me" when _standby is null && State == PlannerState.Stable:
                // The peer gives up its set S: we will take the complement once it says done. A peer of ours gets
                // make-before-break: its address-only groups are up and announced here before we answer, so it stops
                // them after clients already point at us (a real peer would not expect us to hold them yet).
                _standby = new StandbyExchange(StandbyStep.Taking, set, Now);
                _tookOverKeys.Clear();
                _healTakeover?.Answered = true;
                if (PeerIsOurs)
                {
                    foreach (var key in GroupsOfSet(set, fromGiver: false).Where(k => !HeldKeys.Contains(k) && AddressesOnly(Resources.Groups.First(g => g.Key == k))))
                    {
                        _claimed |= set switch { HoldSet.Local => HoldSet.Foreign, HoldSet.Foreign => HoldSet.Local, _ => HoldSet.All };
                        Acquire(key, "peer going standby, make-before-break", GroupCause.Standby);
                        _tookOverKeys.Add(key);
                    }
                }

                _due.StandbyOther = true;
                SendOtherIfDone();
                break;
            case "other" when _standby is { Step: StandbyStep.AwaitingOther } giving:
                giving.Step = StandbyStep.Releasing;
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
            case "done" when _standby is { Step: StandbyStep.Taking } taking:
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

                AnnounceCopiesGivenUp(taking.Set);

                _due.StandbyTaken = true;
                FinishAcquisitionIfDone();
                break;
            case "done" when _standby is { Giving: true }:
                _standby = null;
                SendReport(isStable: true, info: null);
                SendReport(isStable: true, info: null);
                break;
        }
    }

    /// <summary>The taker's <c>other</c>, once the make-before-break starts for a peer of ours are up.</summary>
    private void SendOtherIfDone()
    {
        if (_due.StandbyOther && _standby is { Step: StandbyStep.Taking } taking && !_tookOverKeys.Any(PendingKeys.Contains))
        {
            _due.StandbyOther = false;
            Send(AskResources(taking.Set, "other"));
        }
    }

    /// <summary>The giver's <c>done</c>, once the set's groups are stopped.</summary>
    private void FinishStandbyStopsIfDone()
    {
        if (_standby is { Step: StandbyStep.Releasing } giving && PendingKeys.Count == 0)
        {
            giving.Step = StandbyStep.Released;
            Send(AskResources(giving.Set, "done"));
        }
    }

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

    private static HaMessage AskResources(HoldSet set, string info) =>
        new([HaField.String(WireFields.Type, ResourceMessages.AskResources), HaField.String(ResourceFields.RscHold, Name(set)), HaField.String(ResourceFields.Info, info)]);
}
