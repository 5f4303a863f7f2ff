using Heartbeat.Protocol.Metrics;

namespace Heartbeat.Protocol.Tests.Metrics;

public sealed class HistogramTests
{
    [Fact]
    public void Observations_land_in_the_first_bucket_whose_bound_they_do_not_exceed()
    {
        var histogram = new Histogram(0.01, 0.1, 1);
        foreach (double ms in new[] { 0.0, 10, 10.001, 100, 999, 1000, 1000.5, 60_000 })
        {
            histogram.Observe(TimeSpan.FromMilliseconds(ms));
        }

        var counts = new long[histogram.Slots];
        double sum = histogram.CopyTo(counts);
        Assert.Equal([2L, 2, 2, 2], counts);
        Assert.Equal(8, histogram.Count);
        Assert.Equal(63.119501, sum, 6);
    }

    [Fact]
    public void Bounds_must_ascend() => Assert.Throws<ArgumentException>(() => new Histogram(1, 1));

    [Fact]
    public void Threads_may_observe_together()
    {
        var histogram = Histogram.Durations();
        Parallel.For(0, 8, _ =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                histogram.Observe(TimeSpan.FromMilliseconds(i % 100));
            }
        });
        Assert.Equal(80_000, histogram.Count);
    }
}
