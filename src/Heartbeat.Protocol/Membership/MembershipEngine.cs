using System.Globalization;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Wire;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Protocol.Membership;

/// <summary>Writes the <c>ld</c> text into <paramref name="destination"/> and returns its length.</summary>
public delegate int LoadAverageWriter(Span<byte> destination);

/// <summary>
/// A datagram to put on every medium, with what it is for logs and tests. The bytes may live in the engine's own
/// buffers: they stay valid until the next call into the engine (<see cref="MembershipEngine.DrainOutgoing()"/> hands
/// out copies that callers may keep).
/// </summary>
public readonly record struct OutgoingDatagram(ReadOnlyMemory<byte> Bytes, string Type, ulong? Seq, bool Retransmission = false);

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

    /// <summary>Room for one status or ACK (about 300 bytes); a larger one takes the general encoder.</summary>
    private const int SendBufferSize = 2048;

    /// <summary>Fields the keepalive path's reader locates; a status has 12, an ACK 10.</summary>
    private const int FastPathFields = 24;

    /// <summary>Room for the <c>ld</c> text on the keepalive path (/proc/loadavg's line is about 30 bytes).</summary>
    private const int MaxLoadAverageLength = 128;

    private MembershipOptions _options;
    private Authenticator _authenticator;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Func<string> _loadAverage;
    private readonly LoadAverageWriter? _writeLoadAverage;
    private readonly long _startTimestamp;
    private readonly Dictionary<string, PeerNode> _peers = new(StringComparer.Ordinal);
    private readonly SendHistory _history = new();
    private readonly Dictionary<string, LinkState> _ownLinks = new(StringComparer.Ordinal);
    private readonly List<OutgoingDatagram> _outgoing = [];
    private readonly List<MembershipEvent> _events = [];

    /// <summary>
    /// The keepalive path's buffers: a status or ACK is written here, then kept in the history (sequenced) or in
    /// <see cref="_unsequencedArena"/> until drained. Nothing is allocated per heartbeat, so a steady cluster never
    /// makes the GC run (a collection is a pause, and at a 10 ms deadtime a pause is a false death).
    /// </summary>
    private readonly byte[] _sendBuffer = new byte[SendBufferSize];
    private readonly byte[] _digestInput = new byte[SendBufferSize];
    private readonly byte[] _unsequencedArena = new byte[2 * SendBufferSize];
    private int _unsequencedArenaUsed;
    private readonly byte[]? _localNameBytes;
    private readonly byte[] _localUuidBytes;

    private ulong _nextSeq = 1;
    private TimeSpan _lastInput;
    private TimeSpan _nextKeepalive;
    private TimeSpan? _nextNodeListRequest;
    private bool _started;

    /// <param name="loadAverage">The <c>ld</c> field's text (first line of /proc/loadavg).</param>
    /// <param name="writeLoadAverage">
    /// The same text written as bytes into a span, returning the length, for the keepalive path: the text changes at
    /// almost every read (its last field is the newest pid), so a string per heartbeat would be an allocation per
    /// heartbeat. Null: the keepalive path uses <paramref name="loadAverage"/>.
    /// </param>
    public MembershipEngine(MembershipOptions options, LocalIdentity local, Authenticator authenticator, TimeProvider time, Random random, Func<string> loadAverage, LoadAverageWriter? writeLoadAverage = null)
    {
        _writeLoadAverage = writeLoadAverage;
        _options = options;
        Local = local;
        _authenticator = authenticator;
        _time = time;
        _random = random;
        _loadAverage = loadAverage;
        _startTimestamp = time.GetTimestamp();
        _localNameBytes = Latin1.TryGetBytes(local.Name);
        _localUuidBytes = local.Uuid.ToBytes();
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

    /// <summary>What to send, as copies the caller may keep.</summary>
    public IReadOnlyList<OutgoingDatagram> DrainOutgoing()
    {
        if (_outgoing.Count == 0)
        {
            return [];
        }

        var result = new OutgoingDatagram[_outgoing.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = _outgoing[i] with { Bytes = _outgoing[i].Bytes.ToArray() };
        }

        _outgoing.Clear();
        _unsequencedArenaUsed = 0;
        return result;
    }

    /// <summary>
    /// What to send, appended to <paramref name="destination"/> without copying or allocating: the daemon's way. The
    /// bytes are valid until the next call into the engine.
    /// </summary>
    public void DrainOutgoing(List<OutgoingDatagram> destination)
    {
        destination.AddRange(_outgoing);
        _outgoing.Clear();
        _unsequencedArenaUsed = 0;
    }

    /// <summary>The events, appended to <paramref name="destination"/>: the daemon's way, nothing allocated when there are none.</summary>
    public void DrainEvents(List<MembershipEvent> destination)
    {
        destination.AddRange(_events);
        _events.Clear();
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
        var bytes = _history.Add(seq, _authenticator.Encode(message, _options.Wire));
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
                    next = Earlier(next, peer.WindowStart + window + TimeSpan.FromTicks(1));
                }

                foreach (var link in peer.Links.Values)
                {
                    if (link.Up)
                    {
                        next = Earlier(next, link.LastHeard + window + TimeSpan.FromTicks(1));
                    }
                }

                if (!peer.IsDead)
                {
                    foreach (var pending in peer.PendingRetransmits.Values)
                    {
                        next = Earlier(next, pending.Due);
                    }
                }
            }

            if (!CommunicationUp && _nextNodeListRequest is { } retry)
            {
                next = Earlier(next, retry);
            }

            return next;
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
        if (TryReadKeepalive(datagram.Span, out var keepalive))
        {
            Process(keepalive, null, iface, now);
            return;
        }

        var decoded = DatagramCodec.DecodeOuter(datagram);
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

        // Inflated only now that it is authentic (see DatagramCodec.DecompressPayload).
        var inflated = DatagramCodec.DecompressPayload(packet);
        if (!inflated.IsOk)
        {
            Reject(RejectReason.Malformed, iface, packet.Message.GetString(WireFields.Src), inflated.Error.ToString());
            return;
        }

        packet = inflated.Value;
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

        message.TryGetHex(WireFields.Generation, out ulong generation);
        var destUuid = message.GetBinary(WireFields.DestUuid);
        string? dest = message.GetString(WireFields.Dest);
        bool hasDeadtime = message.TryGetHex(WireFields.DeadTime, out ulong deadtimeMs);
        bool hasAckSeq = message.TryGetHex(MembershipFields.AckSeq, out ulong ackSeq);
        var envelope = new Envelope(
            type,
            src,
            sequenced,
            seq,
            generation,
            message.GetBinary(WireFields.SrcUuid) is { } uuidBytes && NodeUuid.TryFromBytes(uuidBytes, out var uuid) ? uuid : null,
            destUuid is not null ? destUuid.AsSpan().SequenceEqual(_localUuidBytes) : dest is null || dest == Local.Name,
            dest is not null && dest != Local.Name,
            message.GetString(WireFields.Status),
            hasDeadtime ? deadtimeMs : 0,
            message.GetString(WireFields.Protocol) is not null,
            hasAckSeq ? ackSeq : null);
        Process(envelope, message, iface, now);
    }

    /// <summary>
    /// The keepalive path: a status or ACK from a known node, netstring-framed with a valid trailer, read in place and
    /// checked without allocating. Whatever it declines (another type, any irregularity, a rejection to report) goes
    /// to the general decoder, so both paths reach the same verdict; a test holds them to it.
    /// </summary>
    private bool TryReadKeepalive(ReadOnlySpan<byte> datagram, out Envelope envelope)
    {
        envelope = default;
        Span<FieldSlice> room = stackalloc FieldSlice[FastPathFields];
        if (!FlatDatagram.TryRead(datagram, room, out var packet) || !packet.HasValidTrailer(_authenticator.Keys))
        {
            return false;
        }

        bool isStatus = packet.StringEquals("t"u8, "status"u8);
        if (!isStatus && !packet.StringEquals("t"u8, "NS_ackmsg"u8))
        {
            return false;
        }

        if (!packet.TryGetString("src"u8, out var srcBytes) || !packet.TryGetHex("ts"u8, out ulong ts) || ts == 0)
        {
            return false;
        }

        ulong seq = 0;
        if (isStatus && (!packet.TryGetHex("seq"u8, out seq) || seq == 0))
        {
            return false;
        }

        // An ACK without a readable ackseq goes to the general path, which names the problem.
        bool hasAckSeq = packet.TryGetHex("ackseq"u8, out ulong ackSeq);
        if (!isStatus && !hasAckSeq)
        {
            return false;
        }

        string? src = _localNameBytes is { } local && srcBytes.SequenceEqual(local) ? Local.Name : null;
        foreach (var peer in _peers.Values)
        {
            if (src is null && peer.NameBytes is { } name && srcBytes.SequenceEqual(name))
            {
                src = peer.Name;
            }
        }

        string? status = null;
        if (packet.TryGetString("st"u8, out var statusBytes))
        {
            status = KnownStatus(statusBytes);
            if (status is null)
            {
                return false;
            }
        }
        else if (packet.TryGetBinary("st"u8, out _))
        {
            return false;
        }

        if (src is null)
        {
            return false;
        }

        packet.TryGetHex("hg"u8, out ulong generation);
        bool hasDest = packet.TryGetString("dest"u8, out var dest);
        bool forUs = packet.TryGetBinary("destuuid"u8, out var destUuid)
            ? destUuid.SequenceEqual(_localUuidBytes)
            : !hasDest || IsLocalName(dest);
        bool hasDeadtime = packet.TryGetHex("dt"u8, out ulong deadtimeMs);
        envelope = new Envelope(
            isStatus ? MessageTypes.Status : MessageTypes.Ack,
            src,
            isStatus,
            seq,
            generation,
            packet.TryGetBinary("srcuuid"u8, out var uuidBytes) && NodeUuid.TryFromBytes(uuidBytes, out var uuid) ? uuid : null,
            forUs,
            hasDest && !IsLocalName(dest),
            status,
            hasDeadtime ? deadtimeMs : 0,
            packet.TryGetString("protocol"u8, out _),
            hasAckSeq ? ackSeq : null);
        return true;

        bool IsLocalName(ReadOnlySpan<byte> name) => _localNameBytes is { } local && name.SequenceEqual(local);

        static string? KnownStatus(ReadOnlySpan<byte> text) =>
            text.SequenceEqual("active"u8) ? NodeStatus.Active
            : text.SequenceEqual("up"u8) ? NodeStatus.Up
            : text.SequenceEqual("init"u8) ? NodeStatus.Init
            : text.SequenceEqual("dead"u8) ? NodeStatus.Dead
            : null;
    }

    /// <summary>
    /// What the receive rules need of an authenticated message, read once: by <see cref="TryReadKeepalive"/> in place,
    /// or from the decoded message. <paramref name="DeadtimeMs"/> is 0 when <c>dt</c> is missing or not hex.
    /// </summary>
    private readonly record struct Envelope(
        string Type,
        string Src,
        bool Sequenced,
        ulong Seq,
        ulong Generation,
        NodeUuid? SrcUuid,
        bool ForUs,
        bool AddressedToAnother,
        string? Status,
        ulong DeadtimeMs,
        bool HasProtocol,
        ulong? AckSeq);

    /// <summary>The receive rules from step 6 on (3.0.6's order); <paramref name="message"/> is null only on the keepalive path.</summary>
    private void Process(in Envelope envelope, HaMessage? message, string iface, TimeSpan now)
    {
        string type = envelope.Type;
        string src = envelope.Src;
        ulong seq = envelope.Seq;
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

        if (envelope.SrcUuid is { } uuid)
        {
            peer.Uuid = uuid;
        }

        // Any authenticated packet from a known node proves the link, even one the sequence rules drop later.
        TouchLink(peer, iface, now);

        if (!envelope.Sequenced)
        {
            HandleUnsequenced(peer, envelope, message, iface);
            return;
        }

        bool isStatus = type == MessageTypes.Status;
        if (!AcceptGeneration(peer, envelope.Generation, isStatus, iface))
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
        if (!envelope.ForUs)
        {
            if (type is not (MessageTypes.Status or MessageTypes.RequestNodes or MessageTypes.ReplyNodes or MessageTypes.ShutdownDone))
            {
                _events.Add(new OverheardMessage(peer.Name, message!));
            }

            return;
        }

        switch (type)
        {
            case MessageTypes.Status:
                HandleStatus(peer, envelope, seq, now);
                FollowPeerKeepalive(now);
                break;
            case MessageTypes.RequestNodes:
                _events.Add(new NodeListExchange(peer.Name, Request: false));
                SendNodeList(peer);
                break;
            case MessageTypes.ReplyNodes:
                HandleNodeList(peer, message!);
                break;
            case MessageTypes.ShutdownDone:
                _events.Add(new ShutdownNotice(peer.Name));
                break;
            default:
                _events.Add(new ClusterMessage(peer.Name, message!));
                break;
        }
    }

    /// <summary>
    /// An idle daemon pays per wake-up, not per packet: two nodes whose keepalive timers run at unrelated phases wake
    /// four times a keepalive (each for its own timer and for the other's heartbeat). So when a peer's heartbeat
    /// arrives and ours is due within half a keepalive, ours goes out now, in the same wake-up, and our phase moves to
    /// now: after one round one node wakes for its timer and the other for the first one's heartbeat, three wake-ups
    /// a keepalive for the pair (measured side by side: 252 → 141–173 wake-ups per node in 120 s, loop CPU −22 to −47 %). Our
    /// intervals only ever get shorter (once, by at most half a keepalive; then they follow the peer's, and our own
    /// timer still fires on time when the peer's heartbeat is late), so no peer's deadtime window or late-heartbeat
    /// measure can suffer; 3.0.6 sends on its timer only.
    /// </summary>
    private void FollowPeerKeepalive(TimeSpan now)
    {
        if (_started && _nextKeepalive > now && _nextKeepalive - now <= _options.Keepalive / 2)
        {
            SendStatus();
            _nextKeepalive = now + _options.Keepalive;
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
            _events.Add(new LocalStall(paused, paused > _options.Deadtime));
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

    private void HandleStatus(PeerNode peer, in Envelope message, ulong seq, TimeSpan now)
    {
        string status = message.Status ?? NodeStatus.Up;
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
        if (message.DeadtimeMs is var dtMs and > 0)
        {
            // The receiver uses the sender's advertised deadtime, not its own (wire-format.md §6.1).
            peer.AdvertisedDeadtime = TimeSpan.FromMilliseconds(dtMs);
        }

        if (FlowControl && !message.HasProtocol)
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

    private void HandleUnsequenced(PeerNode peer, in Envelope envelope, HaMessage? message, string iface)
    {
        // NS_* messages are protected by authentication only; they count when addressed to us or to nobody.
        if (envelope.AddressedToAnother)
        {
            return;
        }

        switch (envelope.Type)
        {
            case MessageTypes.Ack:
                if (envelope.AckSeq is not { } ackSeq || ackSeq > LastSentSeq)
                {
                    string sent = envelope.AckSeq is { } parsed ? Hex(parsed) : message?.GetString(MembershipFields.AckSeq) ?? string.Empty;
                    Reject(RejectReason.BadAck, iface, peer.Name, string.Create(CultureInfo.InvariantCulture, $"ackseq '{sent}', current hiseq = {LastSentSeq}"));
                    return;
                }

                peer.AckedOurSeq = Math.Max(peer.AckedOurSeq, ackSeq);
                break;
            case MessageTypes.Rexmit:
                ServeRetransmit(peer, message!, iface);
                break;
            case MessageTypes.NakRexmit:
                if (!message!.TryGetHex(MembershipFields.FirstSeq, out ulong lost))
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

            if (!_history.TryGet(seq, out var bytes, out var lastResent))
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

        // Every tenth heartbeat is ACKed: the keepalive path, so written in place into the arena drained with it.
        var room = _unsequencedArena.AsSpan(_unsequencedArenaUsed);
        var writer = new DatagramWriter(room, _digestInput);
        writer.AddString("t"u8, MessageTypes.Ack);
        writer.AddString("dest"u8, peer.Name);
        writer.AddHex("ackseq"u8, seq);
        if (peer.Uuid is { } uuid)
        {
            Span<byte> uuidBytes = stackalloc byte[NodeUuid.Length];
            uuid.WriteBytes(uuidBytes);
            writer.AddBinary("destuuid"u8, uuidBytes);
        }

        StampInPlace(ref writer, seq: null);
        if (writer.TryFinish(_authenticator.Keys, _options.Wire, out int length))
        {
            Emit(new OutgoingDatagram(_unsequencedArena.AsMemory(_unsequencedArenaUsed, length), MessageTypes.Ack, null));
            _unsequencedArenaUsed += length;
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
        // The keepalive path: written in place, kept in the history's recycled buffers, nothing allocated.
        ulong seq = _nextSeq;
        var writer = new DatagramWriter(_sendBuffer, _digestInput);
        writer.AddString("t"u8, MessageTypes.Status);
        writer.AddString("st"u8, LocalStatus);
        writer.AddHex("dt"u8, (ulong)_options.Deadtime.TotalMilliseconds);
        if (FlowControl)
        {
            writer.AddString("protocol"u8, "1"u8);
        }

        StampInPlace(ref writer, seq);
        if (writer.TryFinish(_authenticator.Keys, _options.Wire, out int length))
        {
            _nextSeq++;
            Emit(new OutgoingDatagram(_history.Add(seq, _sendBuffer.AsSpan(0, length)), MessageTypes.Status, seq));
            return;
        }

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

    /// <summary><see cref="Stamp"/> for the keepalive path's writer: the same fields, in the same order, with the same values.</summary>
    private void StampInPlace(ref DatagramWriter writer, ulong? seq)
    {
        writer.AddString("src"u8, Local.Name);
        writer.AddBinary("srcuuid"u8, _localUuidBytes);
        if (seq is { } s)
        {
            writer.AddHex("seq"u8, s);
        }

        writer.AddHex("hg"u8, Local.Generation);
        writer.AddHex("ts"u8, (ulong)_time.GetUtcNow().ToUnixTimeSeconds());
        if (seq is not null)
        {
            if (_writeLoadAverage is { } write)
            {
                Span<byte> load = stackalloc byte[MaxLoadAverageLength];
                writer.AddString("ld"u8, load[..Math.Clamp(write(load), 0, load.Length)]);
            }
            else
            {
                writer.AddString("ld"u8, _loadAverage());
            }
        }

        writer.AddDecimal("ttl"u8, _options.MessageTtl);
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
