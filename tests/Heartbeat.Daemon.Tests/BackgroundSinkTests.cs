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
    public void Entries_from_several_threads_with_pauses_between_all_arrive_each_thread_in_its_own_order()
    {
        // The hand-off is lock-free (a queue and an eventfd): every entry queued while the writer drains, or just
        // before it goes back to sleep, must still wake it. Pauses make the writer sleep and wake many times.
        var target = new RecordingSink();
        var sink = new BackgroundSink(target, capacity: 100_000);
        const int PerThread = 3000;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                sink.Emit(Entry((t * PerThread) + i, DateTimeOffset.Now));
                if (i % 500 == 0)
                {
                    Thread.Sleep(2);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Everything arrives before disposal too (the writer is not woken only by Dispose).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref target.Count) < 4 * PerThread && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.Equal(4 * PerThread, Volatile.Read(ref target.Count));
        sink.Dispose();
        Assert.Equal(0, sink.Dropped);
        var numbers = target.Numbers().ToList();
        for (int t = 0; t < 4; t++)
        {
            var own = numbers.Where(n => n / PerThread == t).ToList();
            Assert.Equal(Enumerable.Range(t * PerThread, PerThread), own);
        }
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

        /// <summary>Entries written so far, readable from the test thread while the writer runs.</summary>
        public int Count;

        public IEnumerable<int> Numbers() => Events.Where(e => e.Properties.ContainsKey("N")).Select(e => (int)((ScalarValue)e.Properties["N"]).Value!);

        public void Emit(LogEvent logEvent)
        {
            Gate?.Wait(TimeSpan.FromSeconds(30));
            if (logEvent.Properties.TryGetValue("N", out var n) && (int)((ScalarValue)n).Value! == FailOn)
            {
                throw new IOException("disk full");
            }

            Events.Add(logEvent);
            Interlocked.Increment(ref Count);
        }

        public void Dispose() => Disposed = true;
    }
}
