namespace Heartbeat.Protocol.Membership;

/// <summary>What one received sequence number means for its sender's stream (wire-format.md §7.2, steps 8–10).</summary>
public enum SequenceOutcome
{
    /// <summary>The first packet heard from this generation: tracking starts here.</summary>
    First,

    /// <summary>last + 1.</summary>
    InOrder,

    /// <summary>Beyond last + 1: accepted, and the seqs in between are now missing.</summary>
    Gap,

    /// <summary>So far beyond last + 1 (more than <see cref="SequenceTracker.MaxGap"/>) that tracking restarts here (3.0.6: "lost a lot of packets!").</summary>
    Reset,

    /// <summary>A seq that was missing arrived (a retransmission or a late copy from a slower medium).</summary>
    FilledGap,

    /// <summary>Already seen: the normal fate of the copies every further medium delivers. Dropped silently.</summary>
    Duplicate,
}

/// <summary>The result of <see cref="SequenceTracker.Accept"/>.</summary>
public readonly record struct SequenceResult(SequenceOutcome Outcome, ulong GapFirst = 0, ulong GapLast = 0)
{
    public bool IsNew => Outcome is not SequenceOutcome.Duplicate;

    public int GapCount => Outcome == SequenceOutcome.Gap ? checked((int)(GapLast - GapFirst + 1)) : 0;
}

/// <summary>
/// The sequence numbers received from one sender within one generation: highest seen, and the set still missing.
/// Pure and allocation-light; the generation rules live in <see cref="MembershipEngine"/>.
/// </summary>
public sealed class SequenceTracker
{
    /// <summary>3.0.6 restarts tracking instead of asking for more than this many packets.</summary>
    public const int MaxGap = 250;

    /// <summary>How far behind the highest seq a missing one is still worth waiting for: a sender's history depth.</summary>
    public const int RetransmittableDepth = SendHistory.DefaultCapacity;

    private readonly SortedSet<ulong> _missing = [];

    public bool Started { get; private set; }

    public ulong Highest { get; private set; }

    public IReadOnlyCollection<ulong> Missing => _missing;

    /// <summary>The highest seq below which nothing is missing: what an ACK may confirm.</summary>
    public ulong Contiguous => _missing.Count == 0 ? Highest : _missing.Min - 1;

    public void Reset()
    {
        Started = false;
        Highest = 0;
        _missing.Clear();
    }

    public SequenceResult Accept(ulong seq)
    {
        if (!Started)
        {
            Started = true;
            Highest = seq;
            return new SequenceResult(SequenceOutcome.First);
        }

        if (seq == Highest + 1)
        {
            Highest = seq;
            return new SequenceResult(SequenceOutcome.InOrder);
        }

        if (seq > Highest)
        {
            ulong first = Highest + 1;
            ulong last = seq - 1;
            Highest = seq;
            if (last - first + 1 > MaxGap)
            {
                _missing.Clear();
                return new SequenceResult(SequenceOutcome.Reset, first, last);
            }

            for (ulong s = first; s <= last; s++)
            {
                _missing.Add(s);
            }

            // Gap after gap would grow the set without end (memory a forged or broken sender could make us spend),
            // and a seq that far behind cannot come back anyway: the sender keeps only its last 500 messages.
            while (_missing.Count > 0 && Highest - _missing.Min >= RetransmittableDepth)
            {
                _missing.Remove(_missing.Min);
            }

            return new SequenceResult(SequenceOutcome.Gap, first, last);
        }

        // At or below the highest: only a seq we are still missing is news (this is also how a replay of the same
        // generation is refused: 3.0.6 drops it silently).
        return _missing.Remove(seq) ? new SequenceResult(SequenceOutcome.FilledGap) : new SequenceResult(SequenceOutcome.Duplicate);
    }

    /// <summary>Stops waiting for every missing seq (the sender was declared dead): tracking goes on from the highest.</summary>
    public void ForgetMissing() => _missing.Clear();

    /// <summary>The sender said it cannot retransmit this seq (NS_nak_rexmit): stop waiting for it.</summary>
    public bool GiveUp(ulong seq) => _missing.Remove(seq);

    public bool IsMissing(ulong seq) => _missing.Contains(seq);
}
