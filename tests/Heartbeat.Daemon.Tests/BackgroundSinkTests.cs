using Heartbeat.Daemon.Logging;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Heartbeat.Daemon.Tests;

public sealed class BackgroundSinkTests
{
    [Fact]
    public void Entries_reach_the_target_in_order_with_their_own_time_and_all_are_written_by_dispose()
    {
        var target = new RecordingSink();
        var sink = new BackgroundSink(target);
        var start = DateTimeOffset.Now;
        for (int i = 0; i < 1000; i++)
        {
            sink.Emit(Entry(i, start.AddMilliseconds(i)));
        }

        sink.Dispose();
        Assert.Equal(Enumerable.Range(0, 1000), target.Numbers());
        Assert.Equal(start.AddMilliseconds(999), target.Events[^1].Timestamp);
        Assert.True(target.Disposed, "the inner sinks are disposed with it (files closed, journal socket released)");
        Assert.Equal(0, sink.Dropped);
    }

    [Fact]
    public void Emit_does_not_wait_for_a_slow_sink_and_a_full_queue_drops_and_reports_the_loss()
    {
        using var release = new ManualResetEventSlim();
        var target = new RecordingSink { Gate = release };
        var sink = new BackgroundSink(target, capacity: 10);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 100; i++)
        {
            sink.Emit(Entry(i, DateTimeOffset.Now));
        }

        // The writer is stuck on the first entry; the other 99 were queued (10) or dropped, without blocking the caller.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Emit blocked for {watch.Elapsed}");
        Assert.InRange(sink.Dropped, 89, 90);
        release.Set();
        sink.Dispose();

        // The loss is reported as the writer learns of it: the writer may pick up the first entry while the caller is
        // still dropping, so the count can come in more than one report; together they account for every drop.
        var reports = target.Events.Where(e => e.Level == LogEventLevel.Warning).ToList();
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Equal(191, (int)((ScalarValue)((StructureValue)r.Properties["EventId"]).Properties[0].Value).Value!));
        Assert.Equal(sink.Dropped, reports.Sum(r => (long)((ScalarValue)r.Properties["Count"]).Value!));
        Assert.Equal(100 - sink.Dropped, target.Numbers().Count());
        Assert.Equal(target.Numbers().Order(), target.Numbers());
    }

    [Fact]
    public void A_sink_that_throws_loses_one_entry_and_the_writer_goes_on()
    {
        var target = new RecordingSink { FailOn = 3 };
        var sink = new BackgroundSink(target);
        for (int i = 0; i < 6; i++)
        {
            sink.Emit(Entry(i, DateTimeOffset.Now));
        }

        sink.Dispose();
        Assert.Equal([0, 1, 2, 4, 5], target.Numbers());
        sink.Emit(Entry(7, DateTimeOffset.Now)); // after dispose: ignored, no exception
    }

    private static LogEvent Entry(int number, DateTimeOffset time) => new(
        time,
        LogEventLevel.Information,
        null,
        new MessageTemplate("entry {N}", [new PropertyToken("N", "{N}")]),
        [new LogEventProperty("N", new ScalarValue(number))]);

    private sealed class RecordingSink : ILogEventSink, IDisposable
    {
        public List<LogEvent> Events { get; } = [];

        public ManualResetEventSlim? Gate { get; init; }

        public int FailOn { get; init; } = -1;

        public bool Disposed { get; private set; }

        public IEnumerable<int> Numbers() => Events.Where(e => e.Properties.ContainsKey("N")).Select(e => (int)((ScalarValue)e.Properties["N"]).Value!);

        public void Emit(LogEvent logEvent)
        {
            Gate?.Wait(TimeSpan.FromSeconds(30));
            if (logEvent.Properties.TryGetValue("N", out var n) && (int)((ScalarValue)n).Value! == FailOn)
            {
                throw new IOException("disk full");
            }

            Events.Add(logEvent);
        }

        public void Dispose() => Disposed = true;
    }
}
