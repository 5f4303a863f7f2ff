namespace Heartbeat.Protocol.Timing;

/// <summary>
/// Combining deadlines on one monotonic clock. The daemon sleeps until the earliest of the engine's, the planner's and
/// its own; every layer reports its timers with these, so "none" means the same everywhere.
/// </summary>
public static class Deadlines
{
    /// <summary>The earlier of two deadlines; <see cref="TimeSpan.MaxValue"/> stands for none.</summary>
    public static TimeSpan Earlier(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>The earlier of a deadline that may not exist yet (null) and another.</summary>
    public static TimeSpan? Earlier(TimeSpan? current, TimeSpan candidate) => current is { } known && known <= candidate ? known : candidate;
}
