namespace Heartbeat.Protocol.Events;

/// <summary>
/// The last <see cref="Capacity"/> events, for <c>hbctl events</c>: the recent history on connect, then whatever comes
/// next. One writer (the daemon's log writer thread, never the event loop) appends; any number of followers read by
/// sequence number. A follower that falls more than the ring behind is told how many it missed and goes on from the
/// oldest kept; the writer never waits for a follower.
/// </summary>
public sealed class EventRing(int capacity = 1024)
{
    private readonly NodeEvent?[] _entries = new NodeEvent?[capacity];
    private readonly Lock _lock = new();
    private long _last;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Capacity => _entries.Length;

    /// <summary>The sequence number of the newest event (0: none yet).</summary>
    public long Last
    {
        get
        {
            lock (_lock)
            {
                return _last;
            }
        }
    }

    /// <summary>Appends an event; its <see cref="NodeEvent.Seq"/> is assigned here.</summary>
    public NodeEvent Append(DateTimeOffset time, string name, string level, string node, string message, IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        TaskCompletionSource wake;
        NodeEvent entry;
        lock (_lock)
        {
            entry = new NodeEvent(++_last, time, name, level, node, message, fields);
            _entries[(int)((entry.Seq - 1) % _entries.Length)] = entry;
            wake = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
        return entry;
    }

    /// <summary>
    /// The events after <paramref name="after"/>, oldest first, into <paramref name="into"/>; returns how many between
    /// were no longer kept (0 when none was missed).
    /// </summary>
    public long ReadAfter(long after, List<NodeEvent> into)
    {
        lock (_lock)
        {
            long oldest = Math.Max(1, _last - _entries.Length + 1);
            long from = Math.Max(after + 1, oldest);
            long missed = after + 1 < oldest ? oldest - (after + 1) : 0;
            for (long seq = from; seq <= _last; seq++)
            {
                into.Add(_entries[(int)((seq - 1) % _entries.Length)]!);
            }

            return missed;
        }
    }

    /// <summary>Completes once an event after <paramref name="after"/> exists (at once if one does).</summary>
    public Task WaitAfterAsync(long after, CancellationToken cancellation)
    {
        Task appended;
        lock (_lock)
        {
            if (_last > after)
            {
                return Task.CompletedTask;
            }

            appended = _appended.Task;
        }

        return appended.WaitAsync(cancellation);
    }
}
