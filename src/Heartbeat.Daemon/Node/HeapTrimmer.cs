using System.Diagnostics;
using Heartbeat.Daemon.Logging;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// A tiny daemon's heap never reaches the gen0 budget the GC sizes from the CPU cache (megabytes): the start-up's
/// garbage (the host, the configuration, the first log lines: ~0.7 MB) stayed resident for ever, and the little
/// a quiet daemon allocates (a counters line a minute) only added pages until a GC hours later. Smaller gen0
/// budgets made it worse (with regions each collection moved gen0 to fresh pages: +0.7 MB). So the loop
/// itself collects, compacts and returns free pages to the kernel (an aggressive GC: 1–2 ms on this heap) once the
/// start-up is over (communication up, the first placement settled; at the latest at the first counters line),
/// and again, at a counters line, whenever another megabyte has been allocated
/// (at a quiet daemon's rate, every few hours). Measured: RssAnon 3.99 → 3.34 MB at the first trim. Not while
/// groups are moving: the pause would land on the takeover path. Loop thread only.
/// </summary>
internal sealed class HeapTrimmer(ILogger logger)
{
    /// <summary>Managed allocation since the last trim after which the next counters line trims again.</summary>
    private const long TrimAfterAllocatedBytes = 1 << 20;

    /// <summary>The total allocated at the last trim; -1 before the first.</summary>
    private long _allocatedAtTrim = -1;

    /// <summary>Whether the first trim (the end of the start-up) has been made.</summary>
    public bool FirstTrimDone => _allocatedAtTrim >= 0;

    /// <summary>Trims when due, unless <paramref name="groupsMoving"/> (a transition, a queued group action).</summary>
    public void TrimIfDue(bool groupsMoving)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        if ((_allocatedAtTrim >= 0 && allocated - _allocatedAtTrim < TrimAfterAllocatedBytes) || groupsMoving)
        {
            return;
        }

        long start = Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var pause = Stopwatch.GetElapsedTime(start);
        var memory = GC.GetGCMemoryInfo(GCKind.Any);
        MembershipLog.MemoryTrimmed(logger, memory.HeapSizeBytes, memory.TotalCommittedBytes, pause.TotalMilliseconds, _allocatedAtTrim < 0 ? allocated : allocated - _allocatedAtTrim);
        _allocatedAtTrim = GC.GetTotalAllocatedBytes(precise: false);
    }
}
