namespace Heartbeat.Protocol.Membership;

/// <summary>One link: a (node, interface) pair and when a packet last came over it.</summary>
public sealed class LinkState(string iface)
{
    public string Interface { get; } = iface;

    public bool Up { get; internal set; }

    public TimeSpan LastHeard { get; internal set; }
}

/// <summary>Everything this node knows about one other configured node. Mutated only by <see cref="MembershipEngine"/>.</summary>
public sealed class PeerNode
{
    internal PeerNode(string name, int ackTrigger, TimeSpan deadtime)
    {
        Name = name;
        NameBytes = Wire.Latin1.TryGetBytes(name);
        AckTrigger = ackTrigger;
        AdvertisedDeadtime = deadtime;
    }

    public string Name { get; }

    /// <summary>The name as it appears in <c>src</c> (Latin-1), for the keepalive path's comparisons; null if it cannot be sent.</summary>
    internal byte[]? NameBytes { get; }

    public NodeUuid? Uuid { get; internal set; }

    /// <summary>init (never heard), what its last status said (init/up/active), or dead.</summary>
    public string Status { get; internal set; } = NodeStatus.Init;

    public bool IsDead => Status == NodeStatus.Dead;

    public bool HasGeneration { get; internal set; }

    public ulong Generation { get; internal set; }

    public SequenceTracker Sequence { get; } = new();

    /// <summary>The seq of the last accepted status (3.0.6 step 12 compares a returning node's status with it).</summary>
    public ulong LastStatusSeq { get; internal set; }

    /// <summary>When the last accepted status was processed; null before the first.</summary>
    public TimeSpan? LastStatusAt { get; internal set; }

    /// <summary>The start of the current liveness window: the last status, or a fresh start after our own stall.</summary>
    internal TimeSpan WindowStart { get; set; }

    /// <summary>The previous status arrival for the late-heartbeat measure; cleared after our own stall.</summary>
    internal TimeSpan? PreviousStatusForWarning { get; set; }

    /// <summary>The <c>dt</c> it advertises: how long we wait before declaring it dead.</summary>
    public TimeSpan AdvertisedDeadtime { get; internal set; }

    /// <summary>The random digit 0–9: an in-order seq s with s mod 10 equal to it is ACKed (3.0.6 flow control).</summary>
    public int AckTrigger { get; }

    /// <summary>The highest of our seqs it has ACKed.</summary>
    public ulong AckedOurSeq { get; internal set; }

    public Dictionary<string, LinkState> Links { get; } = new(StringComparer.Ordinal);

    /// <summary>Missing seqs and when to ask for each next.</summary>
    internal Dictionary<ulong, PendingRetransmit> PendingRetransmits { get; } = [];

    public long LateHeartbeats { get; internal set; }

    public TimeSpan WorstInterval { get; internal set; }
}

internal sealed class PendingRetransmit(TimeSpan due)
{
    public TimeSpan Due { get; set; } = due;

    public int Attempts { get; set; }
}
