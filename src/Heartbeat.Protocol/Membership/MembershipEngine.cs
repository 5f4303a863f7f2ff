using System.Globalization;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Wire;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Protocol.Membership;

/// <summary>Writes the <c>ld</c> text into <paramref name="destination"/> and returns its length.</summary>
public delegate int LoadAverageWriter(Span<byte> destination);

/// <summary>
/// A datagram to put on every medium, with what it is for logs and tests. The bytes may live in the engine's own
/// buffers: they stay valid until the engine's next input (<see cref="MembershipEngine.Start"/>,
/// <see cref="MembershipEngine.Receive"/>, <see cref="MembershipEngine.Tick"/>): only those write a status or an ACK into
/// a reused buffer (the ACK arena, the send history's oldest slot); draining, events, sequenced sends and the shutdone
/// copy the bytes they queue (<see cref="MembershipEngine.DrainOutgoing()"/> hands out copies that callers may keep).
/// </summary>
public readonly record struct OutgoingDatagram(ReadOnlyMemory<byte> Bytes, string Type, ulong? Seq, bool Retransmission = false);

/// <summary>
/// The membership protocol of a Heartbeat 3.0.6 node as a pure state machine: status keepalives, sequence numbers and
/// generations, the receive rules, retransmission both ways, ACKs, the reqnodes/repnodes handshake, and the failure
/// detector per node and per link. No sockets and no clock reads of its own: the daemon hands in datagrams and calls
/// <see cref="Tick"/>; time comes from the <see cref="TimeProvider"/>. After every call, <see cref="DrainOutgoing"/>
/// and <see cref="DrainEvents"/> give what to send and what happened.
/// </summary>
public sealed partial class MembershipEngine
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
    /// bytes are valid until the engine's next input (Start, Receive, Tick; see <see cref="OutgoingDatagram"/>), so a
    /// caller may drain several times and call the engine's other members before it sends.
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

    private void Reject(RejectReason reason, string iface, string? node, string detail)
    {
        long count = Counters.CountRejected(reason);
        _events.Add(new PacketRejected(reason, iface, node, detail, count));
    }

    private static string Hex(ulong value) => value.ToString("x", CultureInfo.InvariantCulture);
}
