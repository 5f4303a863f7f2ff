namespace Heartbeat.Daemon.Node;

/// <summary>
/// The loop thread's own allocations since its first turn, not counting what answering control requests allocated
/// (a status snapshot is built on the loop): a steady-state heartbeat path must leave this unchanged, and a test
/// reads it through the status. Loop thread only.
/// </summary>
internal sealed class LoopAllocations
{
    private long _baseline;
    private long _controlAllocatedBytes;

    /// <summary>The loop's count as it was before the last control requests were answered (shown in the status).</summary>
    public long AtLastAnswer { get; private set; }

    /// <summary>Counting starts here: at the loop's first turn.</summary>
    public void Start() => _baseline = GC.GetAllocatedBytesForCurrentThread();

    /// <summary>What the loop thread allocated since its first turn, control requests excluded.</summary>
    public long Allocated() => GC.GetAllocatedBytesForCurrentThread() - _baseline - _controlAllocatedBytes;

    /// <summary>Before control requests are answered: notes the loop's figure, returns the thread's total to pass to <see cref="EndAnswers"/>.</summary>
    public long BeginAnswers()
    {
        // Figures as of before this turn's answers; what the answers allocate is kept out of the loop's own count.
        AtLastAnswer = Allocated();
        return GC.GetAllocatedBytesForCurrentThread();
    }

    public void EndAnswers(long before) => _controlAllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - before;
}
