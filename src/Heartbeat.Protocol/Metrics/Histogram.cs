namespace Heartbeat.Protocol.Metrics;

/// <summary>
/// A duration histogram with fixed bucket bounds in seconds (Prometheus' base unit). Any thread may observe: each bucket,
/// the count and the sum are interlocked, so the loop, the group worker and the resource threads can share one without
/// a lock; a reader sees each figure whole (a scrape may see an observation in the count a moment before its bucket).
/// Nothing is allocated after construction.
/// </summary>
public sealed class Histogram
{
    private readonly double[] _bounds;
    private readonly long[] _buckets;
    private long _sumTicks;

    /// <param name="bounds">Upper bounds in seconds, ascending; the +Inf bucket is implied.</param>
    public Histogram(params double[] bounds)
    {
        for (int i = 1; i < bounds.Length; i++)
        {
            if (!(bounds[i] > bounds[i - 1]))
            {
                throw new ArgumentException("histogram bounds must ascend", nameof(bounds));
            }
        }

        _bounds = bounds;
        _buckets = new long[bounds.Length + 1];
    }

    /// <summary>From 1 ms to 60 s: heartbeat intervals, takeovers, group actions and scripts all fall in it.</summary>
    public static Histogram Durations() => new(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60);

    public ReadOnlySpan<double> Bounds => _bounds;

    /// <summary>Bucket slots: one per bound and the +Inf bucket.</summary>
    public int Slots => _buckets.Length;

    public void Observe(TimeSpan duration)
    {
        double seconds = duration.TotalSeconds;
        int i = 0;
        while (i < _bounds.Length && seconds > _bounds[i])
        {
            i++;
        }

        Interlocked.Increment(ref _buckets[i]);
        Interlocked.Add(ref _sumTicks, duration.Ticks);
    }

    /// <summary>Copies the per-bucket (not cumulative) counts into <paramref name="counts"/> and returns the sum in seconds.</summary>
    public double CopyTo(Span<long> counts)
    {
        for (int i = 0; i < _buckets.Length; i++)
        {
            counts[i] = Interlocked.Read(ref _buckets[i]);
        }

        return TimeSpan.FromTicks(Interlocked.Read(ref _sumTicks)).TotalSeconds;
    }

    public long Count
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _buckets.Length; i++)
            {
                total += Interlocked.Read(ref _buckets[i]);
            }

            return total;
        }
    }
}
