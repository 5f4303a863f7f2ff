namespace Heartbeat.Protocol.Membership;

/// <summary>
/// The last sequenced datagrams this node sent, kept as the exact bytes so a retransmission is byte-identical to the
/// original (same ts, same digests), as 3.0.6 serves them (wire-format.md §7.3).
/// </summary>
public sealed class SendHistory(int capacity = SendHistory.DefaultCapacity)
{
    /// <summary>3.0.6 keeps 500 messages.</summary>
    public const int DefaultCapacity = 500;

    private readonly Queue<Entry> _entries = new();
    private readonly Dictionary<ulong, Entry> _bySeq = [];

    public int Count => _entries.Count;

    public ulong Lowest => _entries.Count == 0 ? 0 : _entries.Peek().Seq;

    public ulong Highest { get; private set; }

    public void Add(ulong seq, byte[] datagram)
    {
        var entry = new Entry(seq, datagram);
        _entries.Enqueue(entry);
        _bySeq[seq] = entry;
        Highest = seq;
        while (_entries.Count > capacity)
        {
            _bySeq.Remove(_entries.Dequeue().Seq);
        }
    }

    public bool TryGet(ulong seq, out byte[] datagram, out TimeSpan? lastResent)
    {
        if (_bySeq.TryGetValue(seq, out var entry))
        {
            datagram = entry.Datagram;
            lastResent = entry.LastResent;
            return true;
        }

        datagram = [];
        lastResent = null;
        return false;
    }

    public void MarkResent(ulong seq, TimeSpan now)
    {
        if (_bySeq.TryGetValue(seq, out var entry))
        {
            entry.LastResent = now;
        }
    }

    private sealed class Entry(ulong seq, byte[] datagram)
    {
        public ulong Seq { get; } = seq;

        public byte[] Datagram { get; } = datagram;

        public TimeSpan? LastResent { get; set; }
    }
}
