using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Resources;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Protocol.Node;

/// <summary>
/// A node's whole decision-making as a pure function of (state, input, time): the <see cref="MembershipEngine"/>, the
/// resource negotiation chosen by <c>auto_failback</c> (none unless exactly two nodes), the glue between them, rc.d
/// hook requests and the graceful leave. No sockets, no threads, no clock reads but the <see cref="TimeProvider"/>.
/// <para>How a shell drives it, one loop turn at a time on one thread:</para>
/// <list type="number">
/// <item><see cref="Start"/> once, then <see cref="Pump"/> and handle the outputs (the start burst).</item>
/// <item>Sleep until <see cref="NextDeadline"/> (on <see cref="Now"/>'s clock) or an input. Then feed what came, in this
/// order: a datagram (<see cref="Receive"/>) or, once the deadline has come, <see cref="Tick"/>; a stop
/// (<see cref="BeginLeave"/>); the worker's results (<see cref="GroupFinished"/>); control requests
/// (<see cref="RequestStandby"/>, <see cref="RequestTakeover"/>, <see cref="Reconfigure"/>).</item>
/// <item><see cref="Pump"/> into the shell's <see cref="NodeOutputs"/>, then: hand <see cref="NodeOutputs.GroupRequests"/>
/// to the group worker (a takeover starts at once), put every datagram on every medium and report each medium's
/// result with <see cref="ReportOwnLink"/>, log the events, run the hooks; clear the outputs.</item>
/// <item>Exit once <see cref="MayExit"/> (after a leave: shutdone sent, and a short grace for copies and retransmissions).</item>
/// </list>
/// </summary>
public sealed partial class ClusterNode
{
    /// <summary>Planner commands can produce messages, which produce events: a pump goes round until nothing is left.</summary>
    private const int MaxRounds = 16;

    private readonly MembershipEngine _engine;
    private readonly IResourcePlanner? _planner;
    private readonly HaResources _resources;
    private readonly bool _niceFailback;

    /// <summary>The keepalive as configured at start (a reload's keepalive does not change the leave's grace, as before).</summary>
    private readonly TimeSpan _keepalive;

    /// <summary>The one other node of a two-node cluster (v1 negotiation), or null.</summary>
    private readonly string? _peer;

    /// <summary>The pump's reusable list for the planner's commands.</summary>
    private readonly List<PlannerCommand> _commands = [];

    /// <summary>STONITH (ClusterNode.Fencing.cs), and its notices on their way out.</summary>
    private readonly Fencer _fencer;
    private readonly List<Wire.HaMessage> _fenceMessages = [];

    private bool _leaveStarted;
    private bool _readyToLeave;
    private TimeSpan? _leaveAt;
    private int _groupRequestsOutstanding;

    /// <summary>The node as ha.cf, authkeys and haresources configure it.</summary>
    /// <param name="loadAverage">The <c>ld</c> field's text (see <see cref="MembershipEngine"/>).</param>
    /// <param name="writeLoadAverage">The same text for the keepalive path, written without allocating.</param>
    /// <param name="fencing">The reset timers (<see cref="FencingOptions.Default"/> when null).</param>
    public ClusterNode(ClusterConfig config, LocalIdentity local, TimeProvider time, Random random, Func<string> loadAverage, LoadAverageWriter? writeLoadAverage = null, FencingOptions? fencing = null)
        : this(config, MembershipOptions.FromConfig(config.HaCf), local, time, random, loadAverage, writeLoadAverage, fencing)
    {
    }

    /// <summary>The node with membership timers of its own (tests run short ones).</summary>
    public ClusterNode(ClusterConfig config, MembershipOptions options, LocalIdentity local, TimeProvider time, Random random, Func<string> loadAverage, LoadAverageWriter? writeLoadAverage = null, FencingOptions? fencing = null)
    {
        var haCf = config.HaCf;
        _engine = new MembershipEngine(options, local, new Authenticator(config.AuthKeys), time, random, loadAverage, writeLoadAverage);
        _resources = config.Resources;
        _niceFailback = haCf.AutoFailback != AutoFailback.Legacy;
        _keepalive = haCf.Keepalive;
        string[] others = [.. options.Nodes.Where(n => n != local.Name).Distinct(StringComparer.Ordinal)];
        _peer = others.Length == 1 ? others[0] : null;
        _fencer = new Fencer(StonithDevice.ForNode(haCf.StonithDevices, local.Name), fencing ?? FencingOptions.Default, local.Name);
        if (haCf.NegotiatesResources)
        {
            _planner = haCf.AutoFailback == AutoFailback.Legacy
                ? new LegacyResourcePlanner(local.Name, config.Resources, time)
                : new ResourcePlanner(local.Name, config.Resources, haCf.AutoFailback, time);
        }

        InitPing(config, time, random);
    }

    /// <summary>The membership layer, for reading only (peers, links, counters, options); feed the node, not the engine.</summary>
    public MembershipEngine Membership => _engine;

    /// <summary>Whether this node places resources (v1 negotiation is defined for exactly two nodes).</summary>
    public bool NegotiatesResources => _planner is not null;

    public string LocalName => _engine.Local.Name;

    /// <summary>Time since the node was created, on the monotonic clock of its time provider.</summary>
    public TimeSpan Now => _engine.Now;

    /// <summary>
    /// When (on <see cref="Now"/>'s clock) <see cref="Tick"/> has something to do: the engine's next deadline, the
    /// planner's next timer, the end of a leave's grace. <see cref="TimeSpan.MaxValue"/>: nothing before an input.
    /// </summary>
    public TimeSpan NextDeadline
    {
        get
        {
            var due = Earlier(Earlier(Earlier(_engine.NextDeadline, _leaveAt ?? TimeSpan.MaxValue), PingDeadline), _fencer.NextDeadline);
            return Earlier(due, _planner?.NextTimerIn is { } timerIn ? _engine.Now + timerIn : TimeSpan.MaxValue);
        }
    }

    /// <summary>The start burst (status init, up, up); the first keepalives. Pump afterwards.</summary>
    public void Start() => _engine.Start();

    /// <summary>One received datagram and the interface it came in on; the node keeps nothing of the bytes.</summary>
    public void Receive(ReadOnlyMemory<byte> datagram, string iface) => _engine.Receive(datagram, iface);

    /// <summary>A deadline has come (<see cref="NextDeadline"/>): keepalives, the failure detector, retransmissions.</summary>
    public void Tick()
    {
        _engine.Tick();
        TickPing();
    }

    /// <summary>A medium could (or could not) send: our own link state as <c>cl_status</c> shows it.</summary>
    public void ReportOwnLink(string iface, bool up) => _engine.ReportOwnLink(iface, up);

    /// <summary>A reload's timers and keys, applied in place (see <see cref="MembershipEngine.Reconfigure"/>).</summary>
    public void Reconfigure(MembershipOptions options, Authenticator authenticator) => _engine.Reconfigure(options, authenticator);

    /// <summary>Home groups found running at start (a crash and quick restart): kept unless the peer turns out to hold them.</summary>
    public void AdoptLeftovers(IEnumerable<string> keys) => _planner?.AdoptLeftovers(keys);

    /// <summary>
    /// The worker finished a <see cref="GroupRequest"/> (every request is answered, whether it succeeded or not).
    /// </summary>
    public void GroupFinished(string key, GroupAction action, bool success)
    {
        if (_groupRequestsOutstanding > 0)
        {
            _groupRequestsOutstanding--;
        }

        switch (action)
        {
            case GroupAction.Acquire:
                _planner?.GroupStarted(key, success);
                break;
            case GroupAction.Release:
                _planner?.GroupStopped(key);
                break;
            case GroupAction.Announce:
                _planner?.GroupAnnounced(key);
                break;
        }
    }

    /// <summary>
    /// Graceful leave: the resource report (info=shutdown) and every group stopped, then the node sends shutdone
    /// itself (in a later <see cref="Pump"/>) and <see cref="MayExit"/> once the grace is over. Once only.
    /// </summary>
    public void BeginLeave()
    {
        if (_leaveStarted)
        {
            return;
        }

        _leaveStarted = true;
        DropHeldBack();
        if (_planner is null)
        {
            _readyToLeave = true;
        }
        else
        {
            _planner.BeginShutdown();
        }
    }

    /// <summary>Whether <see cref="BeginLeave"/> was called.</summary>
    public bool Leaving => _leaveStarted;

    /// <summary>Whether shutdone has been sent (every group stopped first).</summary>
    public bool ShutdoneSent => _leaveAt is not null;

    /// <summary>The leave is complete: shutdone went out and its grace is over; the process may exit.</summary>
    public bool MayExit => _leaveAt is { } at && _engine.Now >= at;

    /// <summary>
    /// Moves everything the inputs since the last pump caused into <paramref name="outputs"/>: the planner's timers
    /// and checks (every pump, not only on ticks: besides its timers the planner hands over failed groups once the
    /// state allows it, and whatever changed the state caused this pump), then rounds of engine output → events →
    /// planner → commands until nothing is left, then shutdone once the leave is ready. Returns whether anything a
    /// status shows may have changed (an event or a planner command).
    /// </summary>
    public bool Pump(NodeOutputs outputs)
    {
        _planner?.Tick();
        _fencer.Tick(_engine.Now);
        bool changed = Rounds(outputs);
        if (_readyToLeave && _leaveAt is null)
        {
            _engine.SendShutdownDone();
            changed |= Rounds(outputs);

            // 3.0.6 keeps running about a second after shutdone, so copies and retransmissions can still go out.
            _leaveAt = _engine.Now + TimeSpan.FromTicks(Math.Min(_keepalive.Ticks, TimeSpan.FromSeconds(1).Ticks));
        }

        return changed;
    }

    private bool Rounds(NodeOutputs outputs)
    {
        bool changed = false;
        for (int round = 0; round < MaxRounds; round++)
        {
            bool any = false;
            int sent = outputs.Datagrams.Count;
            _engine.DrainOutgoing(outputs.Datagrams);
            any |= outputs.Datagrams.Count > sent;
            ProbePingNodes(outputs, sent);

            // Indexed, into reused lists: a foreach over an interface would take the generic enumerator path every turn.
            int first = outputs.Events.Count;
            _engine.DrainEvents(outputs.Events);
            DrainPingEvents(outputs.Events);
            for (int i = first; i < outputs.Events.Count; i++)
            {
                any = changed = true;
                var e = outputs.Events[i];
                Plan(e);
                RequestHook(e, outputs);
                ObservePing(e, outputs);
            }

            if (RunIpfail(outputs))
            {
                any = changed = true;
            }

            if (_planner is not null)
            {
                _planner.Drain(_commands);
                for (int i = 0; i < _commands.Count; i++)
                {
                    any = changed = true;
                    Execute(_commands[i], outputs);
                }

                _commands.Clear();
            }

            if (DrainFencing(outputs))
            {
                any = changed = true;
            }

            if (!any)
            {
                break;
            }
        }

        return changed;
    }

    /// <summary>Membership events that matter to resource placement.</summary>
    private void Plan(MembershipEvent e)
    {
        if (_planner is null)
        {
            return;
        }

        switch (e)
        {
            case CommunicationUp:
                var dead = _engine.Peers.Where(p => p.IsDead).Select(p => p.Name).ToArray();
                _planner.CommunicationUp(dead, _engine.Peers.Any(_planner.CountsAsAlive));
                break;
            case NodeDead dead1 when _planner.State != PlannerState.Init:
                _planner.PeerDied(dead1.Node);
                break;
            case NodeRestarted restarted:
                PeerHeardAgain(restarted.Node);
                _planner.PeerReturned(restarted.Node);
                break;
            case NodeReturnedAfterPartition returned:
                PeerHeardAgain(returned.Node);
                _planner.PartitionHealed(returned.Node);
                break;
            case ShutdownNotice notice:
                _planner.PeerShutDown(notice.Node);
                break;
            case LocalStall { BeyondDeadtime: true }:
                _planner.ResumedAfterStall();
                break;
            case ClusterMessage { Message.Type: ResourceMessages.Stonith } stonith:
                _fencer.Reported(stonith.Node, stonith.Message);
                _planner.Received(stonith.Node, stonith.Message);
                break;
            case ClusterMessage message:
                _planner.Received(message.Node, message.Message);
                break;
            case OverheardMessage overheard:
                _planner.Overheard(overheard.Node, overheard.Message);
                break;
        }
    }

    private void Execute(PlannerCommand command, NodeOutputs outputs)
    {
        switch (command)
        {
            case SendClusterMessage send:
                _engine.SendSequenced(send.Body);
                break;
            case AcquireGroup acquire:
                Request(outputs, new GroupRequest(acquire.Key, GroupAction.Acquire, acquire.Cause, acquire.Reason));
                break;
            case ReleaseGroup release:
                Request(outputs, new GroupRequest(release.Key, GroupAction.Release, release.Cause, release.Reason, release.RequestedBy));
                break;
            case AnnounceGroup announce:
                Request(outputs, new GroupRequest(announce.Key, GroupAction.Announce, announce.Cause, announce.Reason));
                break;
            case FenceDecision decision:
                DecideFencing(decision);
                break;
            case ReadyToLeave:
                _readyToLeave = true;
                break;
            case GroupLeftDown leftDown:
                outputs.GroupsLeftDown.Add(leftDown);
                break;
            case PeerAskedToYield asked:
                outputs.PeersAskedToYield.Add(asked);
                break;
        }
    }

    private void Request(NodeOutputs outputs, GroupRequest request)
    {
        if (HoldBack(request))
        {
            return;
        }

        outputs.GroupRequests.Add(request);
        _groupRequestsOutstanding++;
        _transitions[((int)request.Action * CauseCount) + (int)request.Cause]++;
        if (request.IsTakeover)
        {
            Takeovers++;
        }
    }

    /// <summary>rc.d hooks: a peer's message by its type; a node's status change as 3.0.6's synthesized status message.</summary>
    private void RequestHook(MembershipEvent e, NodeOutputs outputs)
    {
        switch (e)
        {
            case ClusterMessage { Message.Type: { } type } message:
                outputs.Hooks.Add(new HookRequest(type, RcHooks.Environment(message.Message, LocalName, null, _niceFailback)));
                break;
            case NodeStatusChanged changed:
                var status = new Wire.HaMessage([
                    Wire.HaField.String(Wire.WireFields.Type, MessageTypes.Status),
                    Wire.HaField.String(Wire.WireFields.Src, changed.Node),
                    Wire.HaField.String(Wire.WireFields.Status, changed.NewStatus)]);
                outputs.Hooks.Add(new HookRequest(MessageTypes.Status, RcHooks.Environment(status, LocalName, changed.OldStatus, _niceFailback)));
                break;
        }
    }
}
