using Heartbeat.Protocol.Membership;

namespace Heartbeat.Fuzz;

/// <summary>
/// The sequence rules of wire-format.md §7.2 steps 8–10, written plainly (a list, no ordered set) as the oracle for
/// <see cref="SequenceTracker"/>: first packet, last + 1, a gap (reset when over 250), a missing seq filled, anything
/// else at or below the highest a duplicate; missing seqs further behind than a sender's history are given up.
/// </summary>
internal sealed class SequenceModel
{
    private bool _started;

    public ulong Highest { get; private set; }

    public List<ulong> Missing { get; } = [];

    public SequenceResult Accept(ulong seq)
    {
        if (!_started)
        {
            _started = true;
            Highest = seq;
            return new SequenceResult(SequenceOutcome.First);
        }

        if (seq > Highest)
        {
            ulong first = Highest + 1;
            ulong last = seq - 1;
            Highest = seq;
            if (seq == first)
            {
                return new SequenceResult(SequenceOutcome.InOrder);
            }

            if (last - first + 1 > SequenceTracker.MaxGap)
            {
                Missing.Clear();
                return new SequenceResult(SequenceOutcome.Reset, first, last);
            }

            for (ulong s = first; s <= last; s++)
            {
                Missing.Add(s);
            }

            Missing.RemoveAll(s => seq - s >= SequenceTracker.RetransmittableDepth);
            return new SequenceResult(SequenceOutcome.Gap, first, last);
        }

        return Missing.Remove(seq) ? new SequenceResult(SequenceOutcome.FilledGap) : new SequenceResult(SequenceOutcome.Duplicate);
    }
}
