using System.Text;
using System.Text.Json;
using Heartbeat.Protocol.Events;

namespace Heartbeat.Protocol.Tests.Events;

public sealed class EventRingTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static void Add(EventRing ring, string name, params (string Key, string Value)[] fields) =>
        ring.Append(At, name, "info", "server2", name + " happened", [.. fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))]);

    [Fact]
    public void Events_are_numbered_in_order_and_read_after_a_sequence_number()
    {
        var ring = new EventRing(8);
        Add(ring, "node_dead");
        Add(ring, "takeover");
        Add(ring, "group_done");
        var read = new List<NodeEvent>();
        Assert.Equal(0, ring.ReadAfter(0, read));
        Assert.Equal(["node_dead", "takeover", "group_done"], read.Select(e => e.Name));
        Assert.Equal([1L, 2, 3], read.Select(e => e.Seq));
        read.Clear();
        Assert.Equal(0, ring.ReadAfter(2, read));
        Assert.Equal(3, Assert.Single(read).Seq);
    }

    [Fact]
    public void A_reader_that_fell_behind_the_ring_is_told_how_many_it_missed()
    {
        var ring = new EventRing(4);
        for (int i = 0; i < 10; i++)
        {
            Add(ring, "link");
        }

        var read = new List<NodeEvent>();
        Assert.Equal(5, ring.ReadAfter(1, read)); // 2..6 are gone, 7..10 are kept
        Assert.Equal([7L, 8, 9, 10], read.Select(e => e.Seq));
        Assert.Equal(10, ring.Last);
    }

    [Fact]
    public async Task A_follower_wakes_on_the_next_event_and_the_writer_never_waits()
    {
        var ring = new EventRing(2);
        var waiting = ring.WaitAfterAsync(0, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        Add(ring, "node_dead");
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(ring.WaitAfterAsync(0, CancellationToken.None).IsCompleted);

        // Nobody reads: the writer goes on, overwriting.
        for (int i = 0; i < 1000; i++)
        {
            Add(ring, "packet_rejected");
        }

        Assert.Equal(1001, ring.Last);
    }

    [Fact]
    public void An_event_is_one_line_of_json_named_as_the_journal_names_it()
    {
        var e = new NodeEvent(7, At, "takeover", "warning", "server2", "Taking over group 10.0.0.100 from server1: peer dead", [new("group", "10.0.0.100"), new("peer", "server1"), new("reason", "peer dead"), new("seq", "spoof")]);
        byte[] line = EventJson.Line(e);
        Assert.Equal((byte)'\n', line[^1]);
        Assert.DoesNotContain((byte)'\n', line[..^1]);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal(7, root.GetProperty("seq").GetInt64());
        Assert.Equal("2026-12-07T12:00:00.000000Z", root.GetProperty("time").GetString());
        Assert.Equal("takeover", root.GetProperty("event").GetString());
        Assert.Equal("warning", root.GetProperty("level").GetString());
        Assert.Equal("server2", root.GetProperty("node").GetString());
        Assert.Equal("10.0.0.100", root.GetProperty("group").GetString());
        Assert.Equal("server1", root.GetProperty("peer").GetString());
        Assert.Equal("peer dead", root.GetProperty("reason").GetString());
        Assert.Equal("2026-12-07T12:00:00.000000Z takeover                 Taking over group 10.0.0.100 from server1: peer dead", EventJson.Human(line.AsSpan()[..^1]));
    }

    [Fact]
    public void A_gap_line_says_how_many_were_missed()
    {
        byte[] gap = EventJson.Gap(12);
        Assert.Equal("{\"event\":\"gap\",\"missed\":12}\n", Encoding.UTF8.GetString(gap));
        Assert.Equal("-- 12 events missed (this reader fell behind) --", EventJson.Human(gap.AsSpan()[..^1]));
        Assert.Null(EventJson.Human("not json"u8));
    }

    [Fact]
    public void The_streamed_names_are_journald_event_names()
    {
        Assert.Contains("node_dead", EventNames.All);
        Assert.Contains("takeover", EventNames.All);
        Assert.All(EventNames.All, name => Assert.Matches("^[a-z][a-z_]*$", name));
        Assert.False(EventNames.IsStreamed("counters"));
    }
}
