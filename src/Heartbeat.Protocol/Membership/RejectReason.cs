using System.Collections.Concurrent;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Membership;

/// <summary>Why a received datagram was not acted on. Stable names: they are counters, log fields and JSON keys.</summary>
public enum RejectReason
{
    /// <summary>The bytes are not a Heartbeat datagram (see <see cref="WireErrorCode"/> in the detail).</summary>
    Malformed,

    /// <summary>No trailer on a netstring packet, or no <c>auth</c> field on a classic one.</summary>
    AuthMissing,

    /// <summary>The trailer or <c>auth</c> field is not <c>idx hex</c>.</summary>
    AuthMalformed,

    /// <summary>Signed with a key index we do not have.</summary>
    AuthUnknownKey,

    /// <summary>The digest does not match: wrong key, or tampered.</summary>
    AuthMismatch,

    /// <summary><c>t</c>, <c>src</c> or <c>ts</c> missing (3.0.6: "missing from/ts/type").</summary>
    MissingFields,

    /// <summary>A sequenced type without a hex <c>seq</c> above 0 (3.0.6: "missing seqno" / "bad cseq").</summary>
    BadSequence,

    /// <summary><c>ts</c> is 0; 3.0.6 drops these silently.</summary>
    ZeroTimestamp,

    /// <summary>The sender is not a configured node (3.0.6: "bad node [X] in message").</summary>
    UnknownNode,

    /// <summary>A generation below the highest seen from that node (3.0.6: "attempted replay attack").</summary>
    OldGeneration,

    /// <summary>The same generation with a seq already seen and not missing: a same-generation replay or a very late copy.</summary>
    OldSequence,

    /// <summary>A non-status message announcing a new generation before any status of it; only status moves the generation.</summary>
    GenerationAheadOfStatus,

    /// <summary>A status from a node we declared dead, with a seq not above its last status (3.0.6 step 12).</summary>
    StaleAfterDeath,

    /// <summary>An ACK for a seq we never sent (3.0.6: "corrupted ackseq").</summary>
    BadAck,

    /// <summary>A retransmission request or NAK with unreadable numbers.</summary>
    BadRetransmitRequest,
}

/// <summary>Counters of the membership layer, readable from any thread (the daemon's status answers read them).</summary>
public sealed class MembershipCounters
{
    private readonly ConcurrentDictionary<RejectReason, long> _rejected = new();
    private long _received;
    private long _sent;
    private long _duplicates;
    private long _retransmitRequestsSent;
    private long _retransmissionsServed;
    private long _lateHeartbeats;
    private long _worstLateMilliseconds;
    private long _localStalls;

    public long Received => Interlocked.Read(ref _received);

    public long Sent => Interlocked.Read(ref _sent);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long RetransmitRequestsSent => Interlocked.Read(ref _retransmitRequestsSent);

    public long RetransmissionsServed => Interlocked.Read(ref _retransmissionsServed);

    public long LateHeartbeats => Interlocked.Read(ref _lateHeartbeats);

    private long _rejectedTotal;

    public long WorstLateMilliseconds => Interlocked.Read(ref _worstLateMilliseconds);

    /// <summary>Kept beside the per-reason counts: summing <c>_rejected.Values</c> copies the values into a new list.</summary>
    public long RejectedTotal => Interlocked.Read(ref _rejectedTotal);

    public long Rejected(RejectReason reason) => _rejected.TryGetValue(reason, out long n) ? n : 0;

    public IReadOnlyDictionary<RejectReason, long> RejectedByReason => new Dictionary<RejectReason, long>(_rejected);

    /// <summary>Counts one rejection and returns how many of that reason there have been.</summary>
    internal long CountRejected(RejectReason reason)
    {
        Interlocked.Increment(ref _rejectedTotal);
        return _rejected.AddOrUpdate(reason, 1, (_, n) => n + 1);
    }

    internal void CountReceived() => Interlocked.Increment(ref _received);

    internal void CountSent() => Interlocked.Increment(ref _sent);

    internal void CountDuplicate() => Interlocked.Increment(ref _duplicates);

    internal void CountRetransmitRequest() => Interlocked.Increment(ref _retransmitRequestsSent);

    internal void CountRetransmissionServed() => Interlocked.Increment(ref _retransmissionsServed);

    /// <summary>The time between consecutive statuses of a peer (what warntime and deadtime judge), every peer together.</summary>
    public Metrics.Histogram HeartbeatIntervals { get; } = Metrics.Histogram.Durations();

    /// <summary>Times the stall guard found this process itself paused (GC, SIGSTOP, starved CPU).</summary>
    public long LocalStalls => Interlocked.Read(ref _localStalls);

    internal void CountLocalStall() => Interlocked.Increment(ref _localStalls);

    internal void CountLateHeartbeat(long milliseconds)
    {
        Interlocked.Increment(ref _lateHeartbeats);
        long worst;
        do
        {
            worst = Interlocked.Read(ref _worstLateMilliseconds);
        }
        while (milliseconds > worst && Interlocked.CompareExchange(ref _worstLateMilliseconds, milliseconds, worst) != worst);
    }
}
