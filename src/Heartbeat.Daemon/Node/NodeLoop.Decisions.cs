using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Media;
using Heartbeat.Daemon.Resources;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Resources;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// The glue between the engine, the planner and the actions (loop thread only): engine events become planner calls
/// (<see cref="Plan"/>) and rc.d hooks (<see cref="RunHook"/>), planner commands become messages and group actions
/// (<see cref="Execute"/>), group results become planner calls (<see cref="TakeGroupResults"/>), and
/// <see cref="Flush"/> goes round until nothing is left. Kept together because a pure ClusterNode will replace it.
/// </summary>
public sealed partial class NodeLoop
{
    /// <summary>The loop's reusable list for the engine's outgoing datagrams.</summary>
    private readonly List<OutgoingDatagram> _outgoing = [];

    private readonly List<MembershipEvent> _events = [];

    private readonly List<PlannerCommand> _commands = [];

    private void Flush(MembershipEngine engine, MediaSet media)
    {
        // Planner commands can produce messages, which produce events: go round until nothing is left.
        for (int round = 0; round < 16; round++)
        {
            bool any = false;
            engine.DrainOutgoing(_outgoing);
            foreach (var datagram in _outgoing)
            {
                any = true;
                Send(engine, media, datagram);
            }

            _outgoing.Clear();

            // Into reused lists, indexed: a foreach over an interface would take the generic enumerator path every turn.
            engine.DrainEvents(_events);
            for (int i = 0; i < _events.Count; i++)
            {
                any = true;
                _summaryStale = true;
                var e = _events[i];
                _eventLog.LogEvent(engine, e);
                Plan(engine, e);
                RunHook(e);
            }

            _events.Clear();
            if (_planner is not null)
            {
                _planner.Drain(_commands);
                for (int i = 0; i < _commands.Count; i++)
                {
                    any = true;
                    _summaryStale = true;
                    Execute(engine, _commands[i]);
                }

                _commands.Clear();
            }

            if (!any)
            {
                return;
            }
        }
    }

    /// <summary>Membership events that matter to resource placement.</summary>
    private void Plan(MembershipEngine engine, MembershipEvent e)
    {
        if (_planner is null)
        {
            return;
        }

        switch (e)
        {
            case CommunicationUp:
                var dead = engine.Peers.Where(p => p.IsDead).Select(p => p.Name).ToArray();

                // "Alone" for legacy means no other node is active yet; nice_failback only needs a live peer.
                bool peerAlive = _planner is LegacyResourcePlanner
                    ? engine.Peers.Any(p => p.Status == NodeStatus.Active)
                    : engine.Peers.Any(p => !p.IsDead);
                _planner.CommunicationUp(dead, peerAlive);
                break;
            case NodeDead dead1 when _planner.State != PlannerState.Init:
                _planner.PeerDied(dead1.Node);
                break;
            case NodeRestarted restarted:
                _planner.PeerReturned(restarted.Node);
                break;
            case NodeReturnedAfterPartition returned:
                _planner.PartitionHealed(returned.Node);
                break;
            case ShutdownNotice notice:
                _planner.PeerShutDown(notice.Node);
                break;
            case LocalStall { BeyondDeadtime: true }:
                _planner.ResumedAfterStall();
                break;
            case ClusterMessage message:
                _planner.Received(message.Node, message.Message);
                break;
            case OverheardMessage overheard:
                _planner.Overheard(overheard.Node, overheard.Message);
                break;
        }
    }

    private void Execute(MembershipEngine engine, PlannerCommand command)
    {
        switch (command)
        {
            case SendClusterMessage send:
                engine.SendSequenced(send.Body);
                break;
            case AcquireGroup acquire:
                // The group worker starts at once; logging and bookkeeping follow (the takeover path waits for neither).
                _groupWorker.Enqueue(acquire.Key, GroupAction.Acquire, null);
                _vipWatch.Acquiring(acquire.Key);
                MembershipLog.PlannerAction(_logger, "acquire", acquire.Key, acquire.Reason);
                if (acquire.Reason.StartsWith("peer dead", StringComparison.Ordinal) || acquire.Reason.StartsWith("peer shut down", StringComparison.Ordinal))
                {
                    // One event to find every failover by (journalctl HB_EVENT=takeover).
                    string from = _config.Resources.Groups.FirstOrDefault(g => g.Key == acquire.Key)?.Node ?? "?";
                    MembershipLog.Takeover(_logger, acquire.Key, from, acquire.Reason);
                    _counters.TookOver();
                }

                _groupStates.Record(acquire.Key, "starting", acquire.Reason);
                break;
            case ReleaseGroup release:
                _vipWatch.Releasing(release.Key);
                MembershipLog.PlannerAction(_logger, "release", release.Key, release.Reason);
                _groupStates.Record(release.Key, "stopping", release.Reason);
                _groupWorker.Enqueue(release.Key, GroupAction.Release, release.RequestedBy);
                break;
            case AnnounceGroup announce:
                MembershipLog.PlannerAction(_logger, "announce", announce.Key, announce.Reason);
                _groupWorker.Enqueue(announce.Key, GroupAction.Announce, null);
                break;
            case ReadyToLeave:
                _readyToLeave = true;
                break;
        }
    }

    /// <summary>rc.d hooks: a peer's message by its type; a node's status change as 3.0.6's synthesized status message.</summary>
    private void RunHook(MembershipEvent e)
    {
        bool niceFailback = _config.HaCf.AutoFailback != AutoFailback.Legacy;
        switch (e)
        {
            case ClusterMessage { Message.Type: { } type } message:
                _hooks?.Enqueue(type, RcHooks.Environment(message.Message, _settings.NodeName, null, niceFailback));
                break;
            case NodeStatusChanged changed:
                var status = new Protocol.Wire.HaMessage([
                    Protocol.Wire.HaField.String("t", "status"),
                    Protocol.Wire.HaField.String("src", changed.Node),
                    Protocol.Wire.HaField.String("st", changed.NewStatus)]);
                _hooks?.Enqueue("status", RcHooks.Environment(status, _settings.NodeName, changed.OldStatus, niceFailback));
                break;
        }
    }

    /// <summary>The group worker's finished actions, recorded and handed to the planner.</summary>
    private void TakeGroupResults()
    {
        while (_groupWorker.TryTakeResult(out var done))
        {
            _summaryStale = true;
            _groupStates.RecordResult(done.Key, done.Action, done.Success, done.Reason);
            switch (done.Action)
            {
                case GroupAction.Acquire:
                    _planner?.GroupStarted(done.Key, done.Success);
                    if (done.Success)
                    {
                        _vipWatch.GroupAcquired();
                    }

                    break;
                case GroupAction.Release:
                    _planner?.GroupStopped(done.Key);
                    break;
                case GroupAction.Announce:
                    _planner?.GroupAnnounced(done.Key);
                    break;
            }
        }
    }
}
