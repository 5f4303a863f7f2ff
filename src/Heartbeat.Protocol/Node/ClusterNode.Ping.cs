using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Ipfail;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Ping;
using Heartbeat.Protocol.Resources;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Node;

/// <summary>
/// Ping nodes (<see cref="PingMonitor"/>) and the built-in ipfail (<see cref="IpfailAgent"/>) inside the node: echo
/// requests ride on our status messages, replies come in through <see cref="ReceiveEcho"/>, and what they change
/// reaches the log, the rc.d hooks and ipfail, whose giveup is the standby request hb_standby makes.
/// </summary>
public sealed partial class ClusterNode
{
    private PingMonitor? _ping;
    private IpfailAgent? _ipfail;
    private TimeProvider _clock = TimeProvider.System;

    /// <summary>Notes for the first pump (why ipfail stays off, as 3.0.6's ipfail exits).</summary>
    private readonly List<MembershipEvent> _startNotes = [];

    /// <summary>The ping nodes, or null when ha.cf has none.</summary>
    public PingMonitor? PingNodes => _ping;

    /// <summary>The built-in ipfail, or null when ha.cf does not ask for it (or it would exit, as 3.0.6's does).</summary>
    public IpfailAgent? Ipfail => _ipfail;

    /// <summary>How many ping nodes answer now: the count ipfail compares.</summary>
    public int PingNodesAlive => _ping?.Alive ?? 0;

    /// <summary>
    /// A packet from a raw ICMP socket (<paramref name="ipv6"/>: ICMPv6). Only our own signed replies count; the node
    /// keeps nothing of the bytes.
    /// </summary>
    public void ReceiveEcho(ReadOnlySpan<byte> packet, bool ipv6) => _ping?.Receive(packet, ipv6, _engine.Now);

    private void InitPing(ClusterConfig config, TimeProvider time, Random random)
    {
        var haCf = config.HaCf;
        _clock = time;
        if (!haCf.PingNodes.IsEmpty)
        {
            // 3.0.6 uses its pid's low 16 bits; any fixed value does, since only our signed payload counts.
            _ping = new PingMonitor(haCf, config.AuthKeys, (ushort)random.Next(1, 0x10000), _engine.Now);
        }

        if (!haCf.IpfailRequested)
        {
            return;
        }

        if (_planner is null || _peer is null)
        {
            _startNotes.Add(new IpfailEvent(IpfailNote.NoManagedResources));
        }
        else if (haCf.AutoFailback == AutoFailback.Legacy)
        {
            _startNotes.Add(new IpfailEvent(IpfailNote.LegacyAutoFailback));
        }
        else
        {
            _ipfail = new IpfailAgent(LocalName, _peer, haCf.AutoFailback == AutoFailback.On, haCf.Keepalive);
        }
    }

    private TimeSpan PingDeadline
    {
        get
        {
            var due = _ping?.NextDeadline ?? TimeSpan.MaxValue;
            return _ipfail is { NextDeadline: var ipfail } && ipfail < due ? ipfail : due;
        }
    }

    private void TickPing()
    {
        _ping?.Tick(_engine.Now);
        _ipfail?.Tick(PingNodesAlive, !InTransition, _engine.Now);
    }

    /// <summary>One echo request per ping node for each status that went out in this round (3.0.6's plugins do the same).</summary>
    private void ProbePingNodes(NodeOutputs outputs, int firstNew)
    {
        if (_ping is null)
        {
            return;
        }

        for (int i = firstNew; i < outputs.Datagrams.Count; i++)
        {
            var datagram = outputs.Datagrams[i];
            if (datagram.Type == MessageTypes.Status && !datagram.Retransmission)
            {
                _ping.Probe((ulong)_clock.GetUtcNow().ToUnixTimeSeconds(), outputs.Echoes);
                return;
            }
        }
    }

    /// <summary>The ping monitor's events and the start notes, into the round's events.</summary>
    private void DrainPingEvents(List<MembershipEvent> events)
    {
        if (_startNotes.Count > 0)
        {
            events.AddRange(_startNotes);
            _startNotes.Clear();
        }

        _ping?.DrainEvents(events);
    }

    /// <summary>What ipfail and the rc.d hooks make of an event.</summary>
    private void ObservePing(MembershipEvent e, NodeOutputs outputs)
    {
        switch (e)
        {
            case CommunicationUp:
                _ping?.CommunicationUp();
                _ipfail?.Start();
                break;
            case PingNodeUp up:
                PingHook(up.Node, PingPayload.NsStatus, PingPayload.PingStatus, up.OldStatus, outputs);
                _ipfail?.PingNodeUp(PingNodesAlive);
                break;
            case PingNodeDead dead:
                // hb_rsc_recover_dead_resources → takeover_from_node: rc.d status with st=dead and info=ping.
                PingHook(dead.Node, MessageTypes.Status, NodeStatus.Dead, PingPayload.PingStatus, outputs);
                _ipfail?.NodeDied(PingNodesAlive);
                break;
            case NodeDead:
                _ipfail?.NodeDied(PingNodesAlive);
                break;
            case LinkChanged { Up: false }:
                _ipfail?.LinkDied(PingNodesAlive);
                break;
            case ClusterMessage message:
                _ipfail?.Received(message.Node, message.Message, PingNodesAlive, !InTransition, _engine.Now);
                break;
        }
    }

    /// <summary>
    /// ipfail's messages go out sequenced; its giveup is hb_standby's request, stamped as sent by the API client ipfail
    /// (3.0.6's from_id=ipfail). Returns whether anything happened.
    /// </summary>
    private bool RunIpfail(NodeOutputs outputs)
    {
        if (_ipfail is null)
        {
            return false;
        }

        int sent = _ipfailMessages.Count;
        _ipfail.DrainMessages(_ipfailMessages);
        bool any = _ipfailMessages.Count > sent;
        foreach (var message in _ipfailMessages)
        {
            _engine.SendSequenced(message);
        }

        _ipfailMessages.Clear();
        if (_ipfail.TakeGiveup() is { } set)
        {
            any = true;
            var outcome = RequestMove(set == HoldSet.Foreign ? "foreign" : "all", takeover: false, apiClient: IpfailMessages.ClientId);
            if (!outcome.Accepted)
            {
                _ipfail.GiveupRefused(outcome.Message);
            }
        }

        int first = outputs.Events.Count;
        _ipfail.DrainEvents(outputs.Events);
        return any || outputs.Events.Count > first;
    }

    private readonly List<HaMessage> _ipfailMessages = [];

    /// <summary>A ping node's rc.d hook, as 3.0.6 runs it only when it manages resources.</summary>
    private void PingHook(string node, string type, string status, string oldStatus, NodeOutputs outputs)
    {
        if (_planner is null || _ping is null)
        {
            return;
        }

        var entry = _ping.Find(node)!.Entry;
        string written = entry.Written;
        var message = type == MessageTypes.Status
            ? new HaMessage([
                HaField.String(WireFields.Type, MessageTypes.Status),
                HaField.String(WireFields.Seq, "1"),
                HaField.String(WireFields.Timestamp, Timestamp()),
                HaField.String(WireFields.Src, written),
                HaField.String(WireFields.Status, status),
                HaField.String(MembershipFields.Info, PingPayload.PingStatus)])
            : new HaMessage([
                HaField.String(WireFields.Type, PingPayload.NsStatus),
                HaField.String(WireFields.Status, status),
                HaField.String(MembershipFields.Info, PingNodeEntry.PluginName(entry.Kind)),
                HaField.String(WireFields.Src, written),
                HaField.String(WireFields.Timestamp, Timestamp())]);
        outputs.Hooks.Add(new HookRequest(type, RcHooks.Environment(message, LocalName, oldStatus, _niceFailback)));
    }

    private string Timestamp() => ((ulong)_clock.GetUtcNow().ToUnixTimeSeconds()).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}
