using System.Text;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;

namespace Heartbeat.Protocol.Ping;

/// <summary>One ping node as the monitor tracks it; read-only outside the monitor.</summary>
public sealed class PingNodeState
{
    /// <summary>Room for the ICMP header and the signed payload (a few hundred bytes with the longest names and digests).</summary>
    internal const int PacketRoom = 1024;

    internal PingNodeState(PingNodeEntry entry, int index, int remembered, TimeSpan now)
    {
        Entry = entry;
        Index = index;
        WrittenBytes = Encoding.Latin1.GetBytes(entry.Written);
        SentTimestamps = new ulong[remembered];
        LastUpdate = now;
    }

    public PingNodeEntry Entry { get; }

    public string Name => Entry.Name;

    /// <summary>Its place in ha.cf's order of ping nodes (<see cref="OutgoingEcho.Node"/>).</summary>
    public int Index { get; }

    /// <summary>init (nothing heard yet), ping or dead: what <c>cl_status nodestatus</c> prints.</summary>
    public string Status { get; internal set; } = NodeStatus.Init;

    /// <summary>The ping node's one link (named after it, as in 3.0.6): up after a reply, dead with the node.</summary>
    public bool LinkUp { get; internal set; }

    /// <summary>When the last authenticated reply came (monotonic), or null.</summary>
    public TimeSpan? LastReply { get; internal set; }

    /// <summary>Echo requests sent (one per keepalive, to every host of a group).</summary>
    public long Probes { get; internal set; }

    /// <summary>Authenticated replies.</summary>
    public long Replies { get; internal set; }

    /// <summary>The liveness clock: start, then the last reply.</summary>
    internal TimeSpan LastUpdate { get; set; }

    internal byte[] WrittenBytes { get; }

    /// <summary>The <c>ts</c> of the latest requests, newest overwriting oldest: a reply must carry one of them.</summary>
    internal ulong[] SentTimestamps { get; }

    internal int NextTimestampSlot { get; set; }

    internal ushort Sequence { get; set; }

    internal byte[] Packet { get; } = new byte[PacketRoom];

    internal bool Remembers(ulong timestamp) => Array.IndexOf(SentTimestamps, timestamp) >= 0;

    internal void Remember(ulong timestamp)
    {
        SentTimestamps[NextTimestampSlot] = timestamp;
        NextTimestampSlot = (NextTimestampSlot + 1) % SentTimestamps.Length;
    }
}
