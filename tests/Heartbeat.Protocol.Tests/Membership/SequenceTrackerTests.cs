using Heartbeat.Protocol.Membership;

namespace Heartbeat.Protocol.Tests.Membership;

public class SequenceTrackerTests
{
    [Fact]
    public void In_order_gap_fill_duplicate_and_reset_follow_the_306_rules()
    {
        var t = new SequenceTracker();
        Assert.Equal(SequenceOutcome.First, t.Accept(5).Outcome);
        Assert.Equal(SequenceOutcome.InOrder, t.Accept(6).Outcome);
        Assert.Equal(SequenceOutcome.Duplicate, t.Accept(6).Outcome);
        var gap = t.Accept(9);
        Assert.Equal((SequenceOutcome.Gap, 7UL, 8UL, 2), (gap.Outcome, gap.GapFirst, gap.GapLast, gap.GapCount));
        Assert.Equal(6UL, t.Contiguous);
        Assert.Equal(SequenceOutcome.FilledGap, t.Accept(8).Outcome);
        Assert.Equal(SequenceOutcome.Duplicate, t.Accept(8).Outcome);
        Assert.True(t.GiveUp(7));
        Assert.Equal(9UL, t.Contiguous);
        Assert.Equal(SequenceOutcome.Duplicate, t.Accept(3).Outcome);
        Assert.Equal(SequenceOutcome.Reset, t.Accept(9 + SequenceTracker.MaxGap + 2).Outcome);
        Assert.Empty(t.Missing);
    }

    [Fact]
    public void History_keeps_the_last_500_and_finds_them_by_seq()
    {
        var h = new SendHistory();
        for (ulong s = 1; s <= 600; s++)
        {
            h.Add(s, [unchecked((byte)s)]);
        }

        Assert.Equal(500, h.Count);
        Assert.Equal(101UL, h.Lowest);
        Assert.False(h.TryGet(100, out _, out _));
        Assert.True(h.TryGet(600, out var bytes, out var resent));
        Assert.Equal([unchecked((byte)600)], bytes.ToArray());
        Assert.Null(resent);
    }

    [Fact]
    public void Uuid_bytes_keep_rfc4122_order()
    {
        byte[] raw = Convert.FromHexString("230a73d4c84d403492910ed810dcff6f");
        var uuid = NodeUuid.FromBytes(raw);
        Assert.Equal("230a73d4-c84d-4034-9291-0ed810dcff6f", uuid.ToString());
        Assert.Equal(raw, uuid.ToBytes());
        Assert.Equal(NodeUuid.FromNodeName("server1"), NodeUuid.FromNodeName("server1"));
        Assert.NotEqual(NodeUuid.FromNodeName("server1"), NodeUuid.FromNodeName("server2"));
    }

    [Fact]
    public void Missing_seqs_further_behind_than_a_senders_history_are_given_up()
    {
        // Gap after gap of 200: without a bound the missing set would grow by 200 a packet for as long as they come.
        var t = new SequenceTracker();
        t.Accept(1);
        ulong seq = 1;
        for (int i = 0; i < 50; i++)
        {
            seq += 201;
            Assert.Equal(SequenceOutcome.Gap, t.Accept(seq).Outcome);
            Assert.InRange(t.Missing.Count, 1, SequenceTracker.RetransmittableDepth - 1);
            Assert.True(seq - t.Missing.Min() < SequenceTracker.RetransmittableDepth);
        }

        // The recent ones are still awaited, and filled when they come.
        Assert.Equal(SequenceOutcome.FilledGap, t.Accept(seq - 1).Outcome);
        Assert.Equal(SequenceOutcome.Duplicate, t.Accept(seq - 600).Outcome);
    }
}
