using Heartbeat.Daemon.Media;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// The node loop's own figures beside the engine's counters, for the status report. Each says who writes it.
/// </summary>
internal sealed class LoopCounters
{
    private long _sendErrors;
    private long _inputDropped;

    /// <summary>Failed sends on any medium (loop thread writes; read with Interlocked).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Inputs dropped because the loop's queue was full (any producer thread; Interlocked).</summary>
    public long InputDropped => Interlocked.Read(ref _inputDropped);

    /// <summary>The open media, for per-medium and per-socket figures (set once by the loop thread before its first turn).</summary>
    public MediaSet? Media { get; set; }

    /// <summary>What the loop thread allocated (see <see cref="LoopAllocations"/>).</summary>
    public LoopAllocations Allocations { get; } = new();

    public long SendFailed() => ++_sendErrors; // the loop thread is the only writer

    public long InputWasDropped() => Interlocked.Increment(ref _inputDropped);
}
