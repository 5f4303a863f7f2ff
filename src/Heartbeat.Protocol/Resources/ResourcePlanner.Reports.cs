using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>The <c>resource</c> reports: the peer's, as they arrive, and ours, including those owed once groups are up.</summary>
public sealed partial class ResourcePlanner
{
    /// <summary>
    /// What this node still has to send the peer, each once no group is under way: in 3.0.6 the script doing the work
    /// (req_our_resources, mach_down, go_standby) sends its message when it ends, so ours wait for our group results.
    /// </summary>
    private record struct PendingReports
    {
        /// <summary>req_our_resources' closing full report (<c>info=req_our_resources()</c>), sent once stable.</summary>
        public bool ReqOurResources { get; set; }

        /// <summary>mach_down's partial update after a takeover that started something: <c>rsc_hold=foreign info=mach_down</c>.</summary>
        public bool MachDown { get; set; }

        /// <summary>Taker of a standby: a full report and <c>ask_resources done</c> once the set the peer gave up is started.</summary>
        public bool StandbyTaken { get; set; }

        /// <summary>Taker of a standby: <c>ask_resources other</c> once the make-before-break starts for a peer of ours are up.</summary>
        public bool StandbyOther { get; set; }

        /// <summary>Our <see cref="PlannerBase.TookOverType"/> to a leaving peer of ours once its addresses are up here.</summary>
        public bool TookOver { get; set; }
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

            _due.TookOver = true;
            SendTookOverIfDone();
        }

        var claimedBefore = PeerReports;
        PeerReports = partial ? PeerReports | reported : reported;
        AnnounceWhenPeerLetGo(claimedBefore);
        _peerHoldsOurs = (PeerReports & HoldSet.Foreign) != 0;
        if (!partial)
        {
            PeerIsOurs = message.GetString(ImplementationField) is not null;
            _peerSaidStable = message.GetString(ResourceFields.IsStable) == "1";
            PeerHoldsGroups(message.GetString(HeldGroupsField));
        }

        ReconsiderHealCopies(exchangeEnded: false);

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
            RequestStandby(HoldSet.Foreign);
        }
    }

    private void SendTookOverIfDone()
    {
        if (_due.TookOver && !_tookOverKeys.Any(PendingKeys.Contains))
        {
            _due.TookOver = false;
            SendTookOver();
        }
    }

    private void FinishAcquisitionIfDone()
    {
        if (PendingKeys.Count > 0 || State == PlannerState.ShuttingDown)
        {
            return;
        }

        if (_due.ReqOurResources && State == PlannerState.Stable)
        {
            _due.ReqOurResources = false;
            SendReport(isStable: true, info: "req_our_resources()");
        }

        if (_due.StandbyTaken && _standby is { Step: StandbyStep.Taking } taking)
        {
            _due.StandbyTaken = false;
            _standby = null;

            // Asked for at a heal, the peer did not choose this: auto_failback hands its groups back as usual.
            bool askedAtHeal = _healTakeover is { Answered: true };
            _peerChoseStandby = !askedAtHeal;
            SendReport(isStable: true, info: null);
            Send(AskResources(taking.Set, "done"));
            if (askedAtHeal)
            {
                ReconsiderHealCopies(exchangeEnded: true);
            }
        }

        if (_due.MachDown)
        {
            // mach_down's partial update: "I now also hold foreign".
            _due.MachDown = false;
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
        if (HeldGroups(hold) is { Length: > 0 } held)
        {
            // Left out when empty: "holds none" then reads like a 3.0.6 report, and nothing is concluded from either.
            fields.Add(HaField.String(HeldGroupsField, held));
        }

        if (info is not null)
        {
            fields.Add(HaField.String(ResourceFields.Info, info));
        }

        Send(new HaMessage(fields));
    }

    /// <summary>
    /// The <see cref="PlannerBase.HeldGroupsField"/> of a report claiming <paramref name="hold"/>: the groups of those
    /// classes that are up here and not under way (a group being given up in a standby is no longer counted).
    /// </summary>
    private string HeldGroups(HoldSet hold)
    {
        var held = Resources.Groups.Where(g => HeldKeys.Contains(g.Key) && !PendingKeys.Contains(g.Key)
            && (hold & (IsLocal(g) ? HoldSet.Local : HoldSet.Foreign)) != 0);
        return string.Join(' ', held.Select(g => g.Key));
    }

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
