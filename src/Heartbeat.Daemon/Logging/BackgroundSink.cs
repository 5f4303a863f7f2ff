using System.Collections.Concurrent;
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
/// </summary>
public sealed class BackgroundSink : ILogEventSink, IDisposable
{
    public const int DefaultCapacity = 10_000;

    private readonly BlockingCollection<LogEvent> _queue;
    private readonly ILogEventSink _target;
    private readonly Thread _writer;
    private long _dropped;
    private long _droppedReported;
    private int _disposed;

    public BackgroundSink(ILogEventSink target, int capacity = DefaultCapacity)
    {
        _target = target;
        _queue = new BlockingCollection<LogEvent>(new ConcurrentQueue<LogEvent>(), capacity);
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

        try
        {
            if (!_queue.TryAdd(logEvent))
            {
                Interlocked.Increment(ref _dropped);
            }
        }
        catch (InvalidOperationException)
        {
            // Completed by Dispose between the check and the add: the process is exiting.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.CompleteAdding();

        // Bounded: a sink stuck on a dead journal must not hold the process at exit for ever.
        _writer.Join(TimeSpan.FromSeconds(10));
        (_target as IDisposable)?.Dispose();
        _queue.Dispose();
    }

    private void WriteAll()
    {
        foreach (var logEvent in _queue.GetConsumingEnumerable())
        {
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
