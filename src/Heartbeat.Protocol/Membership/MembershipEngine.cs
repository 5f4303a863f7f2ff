using System.Globalization;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Membership;

/// <summary>A datagram to put on every medium, with what it is for logs and tests.</summary>
public sealed record OutgoingDatagram(byte[] Bytes, string Type, ulong? Seq, bool Retransmission = false);

/// <summary>
/// The membership protocol of a Heartbeat 3.0.6 node as a pure state machine: status keepalives, sequence numbers and
/// generations, the receive rules, retransmission both ways, ACKs, the reqnodes/repnodes handshake, and the failure
/// detector per node and per link. No sockets and no clock reads of its own: the daemon hands in datagrams and calls
/// <see cref="Tick"/>; time comes from the <see cref="TimeProvider"/>. After every call, <see cref="DrainOutgoing"/>
/// and <see cref="DrainEvents"/> give what to send and what happened.
/// </summary>
public sealed class MembershipEngine
{
    /// <summary>
    /// A seq this close below the highest is taken for the copy of another medium (they arrive out of order); anything
    /// older is a replay or a stray and is counted as a rejection.
    /// </summary>
    private const ulong RecentCopyWindow = 16;

    private MembershipOptions _options;
    private Authenticator _authenticator;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Func<string> _loadAverage;
    private readonly long _startTimestamp;
    private readonly Dictionary<string, PeerNode> _peers = new(StringComparer.Ordinal);
    private readonly SendHistory _history = new();
    private readonly Dictionary<string, LinkState> _ownLinks = new(StringComparer.Ordinal);
    private readonly List<OutgoingDatagram> _outgoing = [];
    private readonly List<MembershipEvent> _events = [];

    private ulong _nextSeq = 1;
    private TimeSpan _lastInput;
    private TimeSpan _nextKeepalive;
    private TimeSpan? _nextNodeListRequest;
    private bool _started;

    public MembershipEngine(MembershipOptions options, LocalIdentity local, Authenticator authenticator, TimeProvider time, Random random, Func<string> loadAverage)
    {
        _options = options;
        Local = local;
        _authenticator = authenticator;
        _time = time;
        _random = random;
        _loadAverage = loadAverage;
        _startTimestamp = time.GetTimestamp();
        foreach (string name in options.Nodes)
        {
            if (name != local.Name && !_peers.ContainsKey(name))
            {
                _peers[name] = new PeerNode(name, random.Next(10), options.Deadtime);
            }
        }
    }

    public LocalIdentity Local { get; }

    /// <summary>Our own status as we advertise it: init, up, then active once communication is up.</summary>
    public string LocalStatus { get; private set; } = NodeStatus.Init;

    public bool CommunicationUp { get; private set; }

    /// <summary>Flow control (the <c>protocol</c> field, ACKs, the reqnodes handshake); off for good once a peer's status lacks <c>protocol</c>.</summary>
    public bool FlowControl { get; private set; } = true;

    public bool ShuttingDown { get; private set; }

    public MembershipCounters Counters { get; } = new();

    /// <summary>
    /// A reload's new timers and keys, applied in place: the next status already carries the new deadtime, a shorter
    /// keepalive takes effect at once. The node list cannot change here (that re-forms the cluster: a restart).
    /// </summary>
    public void Reconfigure(MembershipOptions options, Authenticator authenticator)
    {
        if (!options.Nodes.SequenceEqual(_options.Nodes, StringComparer.Ordinal))
        {
            throw new ArgumentException("the node list cannot change while running", nameof(options));
        }

        _options = options;
        _authenticator = authenticator;
        var soonest = Now + options.Keepalive;
        if (_nextKeepalive > soonest)
        {
            _nextKeepalive = soonest;
        }
    }

    /// <summary>The options in effect (after any <see cref="Reconfigure"/>).</summary>
    public MembershipOptions Options => _options;

    public IEnumerable<PeerNode> Peers => _options.Nodes.Where(_peers.ContainsKey).Distinct().Select(n => _peers[n]);

    public IReadOnlyDictionary<string, LinkState> OwnLinks => _ownLinks;

    public ulong LastSentSeq => _nextSeq - 1;

    public SendHistory History => _history;

    /// <summary>Time since this engine was created, from the monotonic clock of the time provider.</summary>
    public TimeSpan Now => _time.GetElapsedTime(_startTimestamp);

    public IReadOnlyList<OutgoingDatagram> DrainOutgoing()
    {
        var result = _outgoing.ToArray();
        _outgoing.Clear();
        return result;
    }

    public IReadOnlyList<MembershipEvent> DrainEvents()
    {
        var result = _events.ToArray();
        _events.Clear();
        return result;
    }

    /// <summary>The start burst of a 3.0.6 node: status init (seq 1), up (seq 2), up (seq 3).</summary>
    public void Start()
    {
        if (_started)
        {
            return;
        }

        _started = true;
        var now = Now;
        _lastInput = now;
        foreach (var peer in _peers.Values)
        {
            peer.WindowStart = now;
        }

        SendStatus();
        LocalStatus = NodeStatus.Up;
        SendStatus();
        SendStatus();
        _nextKeepalive = now + _options.Keepalive;
    }

    /// <summary>An interface of ours could (or could not) send: our own link state as <c>cl_status</c> shows it.</summary>
    public void ReportOwnLink(string iface, bool up)
    {
        var now = Now;
        if (!_ownLinks.TryGetValue(iface, out var link))
        {
            link = new LinkState(iface);
            _ownLinks[iface] = link;
        }

        link.LastHeard = now;
        link.Up = up;
    }

    /// <summary>Sends a sequenced message of a higher layer (resource messages) with the control fields stamped.</summary>
    public ulong SendSequenced(HaMessage body)
    {
        ulong seq = _nextSeq++;
        var message = Stamp(body, seq);
        byte[] bytes = _authenticator.Encode(message, _options.Wire);
        _history.Add(seq, bytes);
        Emit(new OutgoingDatagram(bytes, body.Type ?? "?", seq));
        return seq;
    }

    /// <summary>Graceful leave: <c>shutdone st=dead</c>, after which peers take over without waiting for the deadtime.</summary>
    public void SendShutdownDone()
    {
        ShuttingDown = true;
        SendSequenced(new HaMessage([HaField.String(WireFields.Type, MessageTypes.ShutdownDone), HaField.String(WireFields.Status, NodeStatus.Dead)]));
    }

    /// <summary>Timers: keepalive, the dead test per node and link, retransmission requests, the node-list handshake.</summary>
    public void Tick()
    {
        var now = ObserveInput();
        if (!_started)
        {
            return;
        }

        if (now >= _nextKeepalive)
        {
            SendStatus();

            // Keep the phase, but never send a burst to catch up after a pause.
            _nextKeepalive += _options.Keepalive;
            if (_nextKeepalive <= now)
            {
                _nextKeepalive = now + _options.Keepalive;
            }
        }

        CheckLiveness(now);
        RequestRetransmissions(now);
        AdvanceCommunication(now);
    }

    /// <summary>
    /// The earliest time (on <see cref="Now"/>'s clock) at which <see cref="Tick"/> has something to do: the next
    /// keepalive, the first moment a live peer or link would be past its window, a retransmission request falling due,
    /// the node-list request's retry. The daemon wakes exactly then and at no other time (3.0.6 polls every 250 ms), so
    /// a death is declared within a timer slack of the deadtime, keepalives keep their phase and an idle node wakes
    /// only for its keepalive and its peers' windows. Never later than the next keepalive.
    /// </summary>
    public TimeSpan NextDeadline
    {
        get
        {
            if (!_started)
            {
                return TimeSpan.MaxValue;
            }

            var next = _nextKeepalive;
            foreach (var peer in _peers.Values)
            {
                var window = CurrentWindow(peer);
                if (!peer.IsDead)
                {
                    // Strictly greater than the window, as CheckLiveness tests it: one clock tick past.
                    next = Min(next, peer.WindowStart + window + TimeSpan.FromTicks(1));
                }

                foreach (var link in peer.Links.Values)
                {
                    if (link.Up)
                    {
                        next = Min(next, link.LastHeard + window + TimeSpan.FromTicks(1));
                    }
                }

                if (!peer.IsDead)
                {
                    foreach (var pending in peer.PendingRetransmits.Values)
                    {
                        next = Min(next, pending.Due);
                    }
                }
            }

            if (!CommunicationUp && _nextNodeListRequest is { } retry)
            {
                next = Min(next, retry);
            }

            return next;

            static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
        }
    }

    /// <summary>One received datagram and the interface it came in on.</summary>
    public void Receive(ReadOnlyMemory<byte> datagram, string iface)
    {
        var now = ObserveInput();
        ReceiveDatagram(datagram, iface, now);

        // The packet that leaves no node in "init" brings communication up now, not at the next keepalive's tick
        // (there is no other tick): a cold start places resources as soon as everybody has been heard.
        if (_started && !CommunicationUp)
        {
            AdvanceCommunication(now);
        }
    }

    private void ReceiveDatagram(ReadOnlyMemory<byte> datagram, string iface, TimeSpan now)
    {
        Counters.CountReceived();
        var decoded = DatagramCodec.Decode(datagram);
        if (!decoded.IsOk)
        {
            Reject(RejectReason.Malformed, iface, null, decoded.Error.ToString());
            return;
        }

        var packet = decoded.Value;
        var verdict = _authenticator.Verify(packet);
        if (!verdict.IsValid)
        {
            var reason = verdict.Status switch
            {
                AuthStatus.Missing => RejectReason.AuthMissing,
                AuthStatus.Malformed => RejectReason.AuthMalformed,
                AuthStatus.UnknownIndex => RejectReason.AuthUnknownKey,
                _ => RejectReason.AuthMismatch,
            };
            Reject(reason, iface, packet.Effective.GetString(WireFields.Src), verdict.ToString());
            return;
        }

        var message = packet.Effective;
        string? type = message.Type;
        string? src = message.GetString(WireFields.Src);
        if (type is null || src is null || message.GetString(WireFields.Timestamp) is null)
        {
            Reject(RejectReason.MissingFields, iface, src, "t, src or ts missing");
            return;
        }

        bool sequenced = !message.IsUnsequenced;
        ulong seq = 0;
        if (sequenced && (!message.TryGetHex(WireFields.Seq, out seq) || seq == 0))
        {
            Reject(RejectReason.BadSequence, iface, src, $"seq '{message.GetString(WireFields.Seq)}' is not hex above 0");
            return;
        }

        if (!message.TryGetHex(WireFields.Timestamp, out ulong ts) || ts == 0)
        {
            Reject(RejectReason.ZeroTimestamp, iface, src, "ts is 0 or not hex");
            return;
        }

        if (src == Local.Name)
        {
            // Our own broadcast, looped back by the kernel: proof that this interface sends.
            ReportOwnLink(iface, up: true);
            return;
        }

        if (!_peers.TryGetValue(src, out var peer))
        {
            // Names are compared case-sensitively, as 3.0.6 does.
            Reject(RejectReason.UnknownNode, iface, src, $"'{src}' is not a node line of ha.cf");
            return;
        }

        if (message.GetBinary(WireFields.SrcUuid) is { } uuidBytes && NodeUuid.TryFromBytes(uuidBytes, out var uuid))
        {
            peer.Uuid = uuid;
        }

        // Any authenticated packet from a known node proves the link, even one the sequence rules drop later.
        TouchLink(peer, iface, now);

        if (!sequenced)
        {
            HandleUnsequenced(peer, message, type, iface);
            return;
        }

        message.TryGetHex(WireFields.Generation, out ulong generation);
        bool isStatus = type == MessageTypes.Status;
        if (!AcceptGeneration(peer, generation, isStatus, iface))
        {
            return;
        }

        if (isStatus && peer.IsDead && peer.Sequence.Started && seq <= peer.LastStatusSeq)
        {
            Reject(RejectReason.StaleAfterDeath, iface, peer.Name, $"status seq {seq} not above the last one ({peer.LastStatusSeq}) of a node declared dead");
            return;
        }

        var result = peer.Sequence.Accept(seq);
        if (!HandleSequence(peer, seq, result, iface, now))
        {
            return;
        }

        // Messages for another node move the sequence tracking forward but go no further (3.0.6 step 11); the layers
        // above may still look at one that is not membership's own.
        if (!IsForUs(message))
        {
            if (type is not (MessageTypes.Status or MessageTypes.RequestNodes or MessageTypes.ReplyNodes or MessageTypes.ShutdownDone))
            {
                _events.Add(new OverheardMessage(peer.Name, message));
            }

            return;
        }

        switch (type)
        {
            case MessageTypes.Status:
                HandleStatus(peer, message, seq, now);
                break;
            case MessageTypes.RequestNodes:
                _events.Add(new NodeListExchange(peer.Name, Request: false));
                SendNodeList(peer);
                break;
            case MessageTypes.ReplyNodes:
                HandleNodeList(peer, message);
                break;
            case MessageTypes.ShutdownDone:
                _events.Add(new ShutdownNotice(peer.Name));
                break;
            default:
                _events.Add(new ClusterMessage(peer.Name, message));
                break;
        }
    }

    private TimeSpan ObserveInput()
    {
        var now = Now;
        var paused = now - _lastInput;

        // A stall is lateness, not quiet: the loop is asked to call us by NextDeadline (never later than the next
        // keepalive), so being called far past it means our own process did not run (SIGSTOP, a frozen VM, swap). A
        // long gap between inputs alone proves nothing now that an idle daemon wakes only for its deadlines.
        if (_started && now - NextDeadline > _options.StallThreshold)
        {
            // What looks like the peers' silence is ours. Everybody gets a fresh window.
            _events.Add(new LocalStall(paused));
            foreach (var peer in _peers.Values)
            {
                peer.WindowStart = now;
                peer.PreviousStatusForWarning = null;
                foreach (var link in peer.Links.Values)
                {
                    link.LastHeard = now;
                }
            }
        }

        _lastInput = now;
        return now;
    }

    private bool AcceptGeneration(PeerNode peer, ulong generation, bool isStatus, string iface)
    {
        if (!peer.HasGeneration)
        {
            peer.HasGeneration = true;
            peer.Generation = generation;
            return true;
        }

        if (generation < peer.Generation)
        {
            // 3.0.6: "should_drop_message: attempted replay attack [X]? [gen = G, curgen = C]".
            Reject(RejectReason.OldGeneration, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"gen = {generation}, curgen = {peer.Generation}"));
            return false;
        }

        if (generation > peer.Generation)
        {
            if (!isStatus)
            {
                Reject(RejectReason.GenerationAheadOfStatus, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"gen = {generation} before any status of it, curgen = {peer.Generation}"));
                return false;
            }

            _events.Add(new NodeRestarted(peer.Name, peer.Generation, generation));
            peer.Generation = generation;
            peer.Sequence.Reset();
            peer.PendingRetransmits.Clear();
            peer.AckedOurSeq = 0;
            peer.LastStatusSeq = 0;
        }

        return true;
    }

    private bool HandleSequence(PeerNode peer, ulong seq, SequenceResult result, string iface, TimeSpan now)
    {
        switch (result.Outcome)
        {
            case SequenceOutcome.Duplicate:
                if (peer.Sequence.Highest - seq < RecentCopyWindow)
                {
                    // The copy of a recent packet from another medium: expected, not a rejection.
                    Counters.CountDuplicate();
                }
                else
                {
                    Reject(RejectReason.OldSequence, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"seq {seq} already seen (highest {peer.Sequence.Highest})"));
                }

                return false;
            case SequenceOutcome.Gap:
                _events.Add(new PacketsLost(peer.Name, result.GapFirst, result.GapLast, TrackingReset: false));
                for (ulong missing = result.GapFirst; missing <= result.GapLast; missing++)
                {
                    peer.PendingRetransmits[missing] = new PendingRetransmit(now + RandomRequestDelay());
                }

                break;
            case SequenceOutcome.Reset:
                _events.Add(new PacketsLost(peer.Name, result.GapFirst, result.GapLast, TrackingReset: true));
                peer.PendingRetransmits.Clear();
                break;
            case SequenceOutcome.FilledGap:
                peer.PendingRetransmits.Remove(seq);
                if (peer.Sequence.Missing.Count == 0)
                {
                    _events.Add(new GapsClosed(peer.Name));
                    SendAck(peer, peer.Sequence.Contiguous);
                }

                return true;
        }

        if (FlowControl && peer.Sequence.Missing.Count == 0 && seq % 10 == (ulong)peer.AckTrigger)
        {
            SendAck(peer, seq);
        }

        return true;
    }

    private bool IsForUs(HaMessage message)
    {
        if (message.GetBinary(WireFields.DestUuid) is { } destUuid)
        {
            return destUuid.AsSpan().SequenceEqual(Local.Uuid.ToBytes());
        }

        return message.GetString(WireFields.Dest) is not { } dest || dest == Local.Name;
    }

    private void HandleStatus(PeerNode peer, HaMessage message, ulong seq, TimeSpan now)
    {
        string status = message.GetString(WireFields.Status) ?? NodeStatus.Up;
        var window = CurrentWindow(peer);
        if (peer.PreviousStatusForWarning is { } previous)
        {
            var interval = now - previous;
            if (interval > _options.Warntime)
            {
                bool beyond = interval > window;
                peer.LateHeartbeats++;
                if (interval > peer.WorstInterval)
                {
                    peer.WorstInterval = interval;
                }

                Counters.CountLateHeartbeat((long)interval.TotalMilliseconds);
                _events.Add(new LateHeartbeat(peer.Name, interval, beyond));
            }
        }

        if (peer.IsDead && peer.LastStatusSeq != 0)
        {
            _events.Add(new NodeReturnedAfterPartition(peer.Name, peer.Generation));
        }

        peer.PreviousStatusForWarning = now;
        peer.LastStatusAt = now;
        peer.WindowStart = now;
        peer.LastStatusSeq = seq;
        if (message.TryGetHex(WireFields.DeadTime, out ulong dtMs) && dtMs > 0)
        {
            // The receiver uses the sender's advertised deadtime, not its own (wire-format.md §6.1).
            peer.AdvertisedDeadtime = TimeSpan.FromMilliseconds(dtMs);
        }

        if (FlowControl && message.GetString(WireFields.Protocol) is null)
        {
            // A single status without 'protocol' switches flow control off for good, as on 3.0.6.
            FlowControl = false;
            _events.Add(new FlowControlDisabled(peer.Name));
        }

        if (peer.Status != status)
        {
            _events.Add(new NodeStatusChanged(peer.Name, peer.Status, status));
            peer.Status = status;
        }
    }

    private void HandleUnsequenced(PeerNode peer, HaMessage message, string type, string iface)
    {
        // NS_* messages are protected by authentication only; they count when addressed to us or to nobody.
        if (message.GetString(WireFields.Dest) is { } dest && dest != Local.Name)
        {
            return;
        }

        switch (type)
        {
            case MessageTypes.Ack:
                if (!message.TryGetHex(MembershipFields.AckSeq, out ulong ackSeq) || ackSeq > LastSentSeq)
                {
                    Reject(RejectReason.BadAck, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"ackseq '{message.GetString(MembershipFields.AckSeq)}', current hiseq = {LastSentSeq}"));
                    return;
                }

                peer.AckedOurSeq = Math.Max(peer.AckedOurSeq, ackSeq);
                break;
            case MessageTypes.Rexmit:
                ServeRetransmit(peer, message, iface);
                break;
            case MessageTypes.NakRexmit:
                if (!message.TryGetHex(MembershipFields.FirstSeq, out ulong lost))
                {
                    Reject(RejectReason.BadRetransmitRequest, iface, peer.Name, "NS_nak_rexmit without a hex firstseq");
                    return;
                }

                if (peer.Sequence.GiveUp(lost))
                {
                    peer.PendingRetransmits.Remove(lost);
                    _events.Add(new PacketIrretrievable(peer.Name, lost));
                }

                break;
        }
    }

    private void ServeRetransmit(PeerNode peer, HaMessage message, string iface)
    {
        // firstseq and lastseq of a request are decimal, unlike every other seq field (wire-format.md §12.4).
        if (!ulong.TryParse(message.GetString(MembershipFields.FirstSeq), NumberStyles.None, CultureInfo.InvariantCulture, out ulong first)
            || !ulong.TryParse(message.GetString(MembershipFields.LastSeq), NumberStyles.None, CultureInfo.InvariantCulture, out ulong last)
            || last < first)
        {
            Reject(RejectReason.BadRetransmitRequest, iface, peer.Name, $"firstseq '{message.GetString(MembershipFields.FirstSeq)}' lastseq '{message.GetString(MembershipFields.LastSeq)}'");
            return;
        }

        var now = Now;
        last = Math.Min(last, first + MembershipOptions.MaxResendPerRequest - 1);
        for (ulong seq = first; seq <= last; seq++)
        {
            if (seq > LastSentSeq)
            {
                _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.NotYetSent));
                break;
            }

            if (!_history.TryGet(seq, out byte[] bytes, out var lastResent))
            {
                SendUnsequenced(new HaMessage(
                [
                    HaField.String(WireFields.Type, MessageTypes.NakRexmit),
                    HaField.String(MembershipFields.FirstSeq, Hex(seq)),
                    HaField.String(WireFields.Dest, peer.Name),
                    HaField.String(MembershipFields.Info, "seqno too low"),
                    .. DestUuid(peer),
                ]));
                _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.NakTooLow));
                continue;
            }

            // The requester already confirmed it: a stale copy of an old request.
            if (seq <= peer.AckedOurSeq)
            {
                _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.AlreadyAcked));
                continue;
            }

            if (lastResent is { } at && now - at < MembershipOptions.ResendGuard)
            {
                // Every medium delivers the request; one resend per 240 ms is enough.
                _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.TooSoon));
                continue;
            }

            _history.MarkResent(seq, now);
            Counters.CountRetransmissionServed();
            Emit(new OutgoingDatagram(bytes, "rexmit", seq, Retransmission: true));
            _events.Add(new RetransmitServed(peer.Name, seq, RetransmitOutcome.Resent));
        }
    }

    private void HandleNodeList(PeerNode peer, HaMessage message)
    {
        string ours = NodeListText();
        string theirs = message.GetString(MembershipFields.NodeList) ?? string.Empty;
        if (!SameNodes(theirs, ours))
        {
            // 3.0.6 would add and delete nodes to match; our node table follows ha.cf only.
            _events.Add(new NodeListMismatch(peer.Name, theirs, ours));
        }

        if (!CommunicationUp && _nextNodeListRequest is not null)
        {
            BecomeActive(handshake: true);
        }
    }

    private static bool SameNodes(string a, string b) =>
        a.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)
            .SequenceEqual(b.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), StringComparer.Ordinal);

    private void CheckLiveness(TimeSpan now)
    {
        foreach (var peer in _peers.Values)
        {
            var window = CurrentWindow(peer);
            foreach (var link in peer.Links.Values)
            {
                if (link.Up && now - link.LastHeard > window)
                {
                    link.Up = false;
                    _events.Add(new LinkChanged(peer.Name, link.Interface, Up: false));
                }
            }

            if (peer.IsDead)
            {
                continue;
            }

            // Strictly greater, as 3.0.6 tests it.
            var silence = now - peer.WindowStart;
            if (silence > window)
            {
                _events.Add(new NodeDead(peer.Name, now - (peer.LastStatusAt ?? TimeSpan.Zero), window, peer.LastStatusAt is null));
                _events.Add(new NodeStatusChanged(peer.Name, peer.Status, NodeStatus.Dead));
                peer.Status = NodeStatus.Dead;

                // Nothing more will be asked of a dead node; a gap left open would also stop our ACKs to it for good
                // once it returns (ACKs confirm only a contiguous stream), filling up its history queue.
                peer.PendingRetransmits.Clear();
                peer.Sequence.ForgetMissing();
            }
        }
    }

    /// <summary>Before communication is up, initdead applies to every node; after it, each node's advertised deadtime.</summary>
    private TimeSpan CurrentWindow(PeerNode peer) => CommunicationUp ? peer.AdvertisedDeadtime : _options.Initdead;

    private void RequestRetransmissions(TimeSpan now)
    {
        foreach (var peer in _peers.Values)
        {
            if (peer.IsDead || peer.PendingRetransmits.Count == 0)
            {
                continue;
            }

            foreach (var (seq, pending) in peer.PendingRetransmits)
            {
                if (now < pending.Due)
                {
                    continue;
                }

                pending.Attempts++;
                pending.Due = now + _options.MaxRexmitDelay;
                string decimalSeq = seq.ToString(CultureInfo.InvariantCulture);
                SendUnsequenced(new HaMessage(
                [
                    HaField.String(WireFields.Type, MessageTypes.Rexmit),
                    HaField.String(WireFields.Dest, peer.Name),
                    HaField.String(MembershipFields.FirstSeq, decimalSeq),
                    HaField.String(MembershipFields.LastSeq, decimalSeq),
                    .. DestUuid(peer),
                ]));
                Counters.CountRetransmitRequest();
                _events.Add(new RetransmitRequested(peer.Name, seq, pending.Attempts));
            }
        }
    }

    private void AdvanceCommunication(TimeSpan now)
    {
        if (CommunicationUp)
        {
            return;
        }

        // Comm comes up once every configured node has been heard from or declared dead.
        if (_peers.Values.Any(p => p.Status == NodeStatus.Init))
        {
            return;
        }

        var firstLive = Peers.FirstOrDefault(p => !p.IsDead);
        if (!FlowControl || firstLive is null)
        {
            BecomeActive(handshake: false);
            return;
        }

        if (_nextNodeListRequest is null || now >= _nextNodeListRequest)
        {
            _nextNodeListRequest = now + MembershipOptions.NodeListRetry;
            _events.Add(new NodeListExchange(firstLive.Name, Request: true));
            SendSequenced(new HaMessage([HaField.String(WireFields.Type, MessageTypes.RequestNodes), HaField.String(WireFields.Dest, firstLive.Name), .. DestUuid(firstLive)]));
        }
    }

    private void BecomeActive(bool handshake)
    {
        CommunicationUp = true;
        LocalStatus = NodeStatus.Active;
        var now = Now;
        foreach (var peer in _peers.Values.Where(p => !p.IsDead))
        {
            // From here each node's own advertised deadtime applies; start it fresh rather than from initdead's window.
            peer.WindowStart = peer.LastStatusAt ?? now;
        }

        _events.Add(new CommunicationUp(now, handshake));
        SendStatus();
    }

    private void SendNodeList(PeerNode requester)
    {
        // 3.0.6 puts dest before t here, and a receiver rewrites its node table from the list: always send exactly
        // the configured names, each followed by one space, and delnodelist " ".
        SendSequenced(new HaMessage(
        [
            HaField.String(WireFields.Dest, requester.Name),
            HaField.String(WireFields.Type, MessageTypes.ReplyNodes),
            HaField.String(MembershipFields.NodeList, NodeListText()),
            HaField.String(MembershipFields.DeletedNodeList, " "),
            .. DestUuid(requester),
        ]));
    }

    private string NodeListText() => string.Concat(_options.Nodes.Distinct().Select(n => n + " "));

    private void SendAck(PeerNode peer, ulong seq)
    {
        if (!FlowControl || seq == 0)
        {
            return;
        }

        SendUnsequenced(new HaMessage(
        [
            HaField.String(WireFields.Type, MessageTypes.Ack),
            HaField.String(WireFields.Dest, peer.Name),
            HaField.String(MembershipFields.AckSeq, Hex(seq)),
            .. DestUuid(peer),
        ]));
    }

    /// <summary>
    /// Every status carries our real deadtime. 3.0.6 advertises deadtime + 2 s for the first 5 s after a start
    /// (wire-format.md §6.1), so a node that crashes again soon after a restart is declared dead 2 s later than its
    /// configuration says; peers only read the value, so advertising the real one is compatible and fails over faster.
    /// </summary>
    private void SendStatus()
    {
        var fields = new List<HaField>
        {
            HaField.String(WireFields.Type, MessageTypes.Status),
            HaField.String(WireFields.Status, LocalStatus),
            HaField.String(WireFields.DeadTime, Hex((ulong)_options.Deadtime.TotalMilliseconds)),
        };
        if (FlowControl)
        {
            fields.Add(HaField.String(WireFields.Protocol, "1"));
        }

        SendSequenced(new HaMessage(fields));
    }

    private void SendUnsequenced(HaMessage body)
    {
        var message = Stamp(body, seq: null);
        Emit(new OutgoingDatagram(_authenticator.Encode(message, _options.Wire), body.Type ?? "?", null));
    }

    private void Emit(OutgoingDatagram datagram)
    {
        Counters.CountSent();
        _outgoing.Add(datagram);
    }

    /// <summary>
    /// The control fields in 3.0.6's order: src, srcuuid, seq, hg, ts, ld, ttl (the inner auth is added by the
    /// authenticator). NS_* types carry no seq and no ld. An existing field is changed in place.
    /// </summary>
    private HaMessage Stamp(HaMessage body, ulong? seq)
    {
        var message = body
            .Set(WireFields.Src, Local.Name)
            .Set(HaField.Binary(WireFields.SrcUuid, Local.Uuid.ToBytes()));
        if (seq is { } s)
        {
            message = message.Set(WireFields.Seq, Hex(s));
        }

        message = message
            .Set(WireFields.Generation, Hex(Local.Generation))
            .Set(WireFields.Timestamp, Hex((ulong)_time.GetUtcNow().ToUnixTimeSeconds()));
        if (seq is not null)
        {
            message = message.Set(WireFields.Load, _loadAverage());
        }

        return message.Set(WireFields.Ttl, _options.MessageTtl.ToString(CultureInfo.InvariantCulture));
    }

    private static HaField[] DestUuid(PeerNode peer) => peer.Uuid is { } uuid ? [HaField.Binary(WireFields.DestUuid, uuid.ToBytes())] : [];

    private void TouchLink(PeerNode peer, string iface, TimeSpan now)
    {
        if (!peer.Links.TryGetValue(iface, out var link))
        {
            link = new LinkState(iface);
            peer.Links[iface] = link;
        }

        link.LastHeard = now;
        if (!link.Up)
        {
            link.Up = true;
            _events.Add(new LinkChanged(peer.Name, iface, Up: true));
        }
    }

    private TimeSpan RandomRequestDelay() => TimeSpan.FromMilliseconds(50 + _random.Next(201));

    private void Reject(RejectReason reason, string iface, string? node, string detail)
    {
        long count = Counters.CountRejected(reason);
        _events.Add(new PacketRejected(reason, iface, node, detail, count));
    }

    private static string Hex(ulong value) => value.ToString("x", CultureInfo.InvariantCulture);
}
