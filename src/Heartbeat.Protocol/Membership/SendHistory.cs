namespace Heartbeat.Protocol.Membership;

/// <summary>
/// The last sequenced datagrams this node sent, kept as the exact bytes so a retransmission is byte-identical to the
/// original (same ts, same digests), as 3.0.6 serves them (wire-format.md §7.3). In steady state it allocates nothing:
/// the entry (and the buffer) that falls out of the window holds the next datagram. Until the window is full it grows
/// by one entry and one buffer per datagram (kept, not garbage): that is the event loop's only allocation after
/// start-up, about 400 bytes a keepalive for the first 500 (100 s at keepalive 200 ms; measured with a pair in
/// namespaces, also with tiered compilation off, so it is not the JIT's). Filling it at start instead would cost the
/// whole window's memory before it is needed, for nothing a scrape or a heartbeat could notice.
/// </summary>
public sealed class SendHistory(int capacity = SendHistory.DefaultCapacity)
{
    /// <summary>3.0.6 keeps 500 messages.</summary>
    public const int DefaultCapacity = 500;

    // Sized for the whole window up front: grown by doubling, they left ~35 KB of discarded arrays while the window
    // filled (the first 500 keepalives: over 8 minutes at keepalive 1 s, the daemon's only garbage then).
    private readonly Queue<Entry> _entries = new(capacity);
    private readonly Dictionary<ulong, Entry> _bySeq = new(capacity);

    public int Count => _entries.Count;

    public ulong Lowest => _entries.Count == 0 ? 0 : _entries.Peek().Seq;

    public ulong Highest { get; private set; }

    /// <summary>Keeps a copy of <paramref name="datagram"/>; the returned memory holds it until 500 more have been added.</summary>
    public ReadOnlyMemory<byte> Add(ulong seq, ReadOnlySpan<byte> datagram)
    {
        var entry = Reuse(datagram.Length);
        datagram.CopyTo(entry.Buffer);
        return Keep(seq, entry, datagram.Length);
    }

    /// <summary>Keeps <paramref name="datagram"/> itself (no copy): the caller gives up the array.</summary>
    public ReadOnlyMemory<byte> Add(ulong seq, byte[] datagram)
    {
        var entry = Reuse(0);
        entry.Buffer = datagram;
        return Keep(seq, entry, datagram.Length);
    }

    public bool TryGet(ulong seq, out ReadOnlyMemory<byte> datagram, out TimeSpan? lastResent)
    {
        if (_bySeq.TryGetValue(seq, out var entry))
        {
            datagram = entry.Datagram;
            lastResent = entry.LastResent;
            return true;
        }

        datagram = ReadOnlyMemory<byte>.Empty;
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

    /// <summary>The oldest entry when the window is full (its buffer too, if big enough), else a new one.</summary>
    private Entry Reuse(int length)
    {
        // Rounded up to 64 bytes, so a message a byte longer than the one whose buffer it takes over (seq gaining a
        // hex digit, ld changing) still fits.
        int size = (length + 63) & ~63;
        if (_entries.Count < capacity)
        {
            return new Entry { Buffer = new byte[size] };
        }

        var entry = _entries.Dequeue();
        _bySeq.Remove(entry.Seq);
        if (entry.Buffer.Length < length)
        {
            entry.Buffer = new byte[size];
        }

        return entry;
    }

    private ReadOnlyMemory<byte> Keep(ulong seq, Entry entry, int length)
    {
        entry.Seq = seq;
        entry.Datagram = entry.Buffer.AsMemory(0, length);
        entry.LastResent = null;
        _entries.Enqueue(entry);
        _bySeq[seq] = entry;
        Highest = seq;
        return entry.Datagram;
    }

    private sealed class Entry
    {
        public ulong Seq { get; set; }

        public byte[] Buffer { get; set; } = [];

        public ReadOnlyMemory<byte> Datagram { get; set; }

        public TimeSpan? LastResent { get; set; }
    }
}
