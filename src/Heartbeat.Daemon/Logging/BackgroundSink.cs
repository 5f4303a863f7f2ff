using System.Collections.Concurrent;
using Heartbeat.Daemon.Interop;
using Serilog.Core;
using Serilog.Events;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// Hands every entry to the real sinks (journal or stderr, ha.cf's logfile and debugfile) on a thread of its own, in
/// the order logged and with the time it was logged. Why: a takeover logs several entries on its way from "node dead"
/// to the first gratuitous ARP, and each file entry is an open/write/close (so logrotate needs no signal); done inline
/// those writes cost the takeover path about a millisecond on an idle machine and far more on a loaded one. The queue
/// is bounded: a flood that outruns the writer loses entries (counted and reported once it drains), never memory.
/// Disposing drains what is queued, so nothing logged before a clean exit is lost.
/// <para>
/// The hand-off takes no lock: the callers include the realtime loop and group worker, the writer runs with the normal
/// policy, and a lock the writer holds while a loaded machine preempts it (a BlockingCollection's semaphores) would stop
/// the realtime thread for the writer's whole wait for a CPU — milliseconds, a false death at a 12 ms deadtime. So: a
/// lock-free queue, an interlocked count for the bound, and an eventfd to wake the writer (a write(2), no user-space
/// lock).
/// </para>
/// </summary>
public sealed class BackgroundSink : ILogEventSink, IDisposable
{
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentQueue<LogEvent> _queue = new();
    private readonly Node.LoopWakeup _wakeup = new();
    private readonly int _capacity;
    private readonly ILogEventSink _target;
    private readonly Thread _writer;
    private int _queued;
    private long _dropped;
    private long _droppedReported;
    private int _disposed;

    public BackgroundSink(ILogEventSink target, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _target = target;
        _capacity = capacity;
        _writer = new Thread(WriteAll) { IsBackground = true, Name = "log writer" };
        _writer.Start();
    }

    /// <summary>Entries lost because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Emit(LogEvent logEvent)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (Interlocked.Increment(ref _queued) > _capacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(logEvent);
        _wakeup.Signal();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _wakeup.Signal();

        // Bounded: a sink stuck on a dead journal must not hold the process at exit for ever. The eventfd stays open
        // while the writer may still use it (a writer still stuck after the wait keeps it; the process is exiting).
        if (_writer.Join(TimeSpan.FromSeconds(10)))
        {
            _wakeup.Dispose();
        }

        (_target as IDisposable)?.Dispose();
    }

    private void WriteAll()
    {
        Span<PollFd> wait = [new PollFd { Fd = _wakeup.Descriptor, Events = PollCall.Readable }];
        while (true)
        {
            // Read the counter before draining: an entry queued after the drain has bumped it again, so the next wait
            // returns at once and nothing is left behind.
            _wakeup.Clear();
            bool exiting = Volatile.Read(ref _disposed) != 0;
            while (_queue.TryDequeue(out var logEvent))
            {
                Interlocked.Decrement(ref _queued);
                ReportDrops();
                try
                {
                    _target.Emit(logEvent);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    // A sink that cannot write loses this entry; the daemon goes on (each sink counts its own failures).
                }
            }

            ReportDrops();
            if (exiting)
            {
                return;
            }

            wait[0].ReturnedEvents = 0;
            PollCall.Wait(wait, -1);
        }
    }

    private void ReportDrops()
    {
        long dropped = Interlocked.Read(ref _dropped);
        if (dropped == _droppedReported)
        {
            return;
        }

        var lost = new LogEvent(
            DateTimeOffset.Now,
            LogEventLevel.Warning,
            null,
            new MessageTemplate("{Count} log entries were dropped: the log writer could not keep up", [new Serilog.Parsing.PropertyToken("Count", "{Count}")]),
            [new LogEventProperty("Count", new ScalarValue(dropped - _droppedReported)), new LogEventProperty("EventId", new StructureValue([new LogEventProperty("Id", new ScalarValue(191))]))]);
        _droppedReported = dropped;
        try
        {
            _target.Emit(lost);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // As above.
        }
    }
}
