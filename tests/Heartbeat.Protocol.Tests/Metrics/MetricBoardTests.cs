using System.Text;
using Heartbeat.Protocol.Metrics;

namespace Heartbeat.Protocol.Tests.Metrics;

public sealed class MetricBoardTests
{
    [Fact]
    public void A_board_renders_help_type_and_samples_grouped_by_family()
    {
        long takeovers = 3;
        double age = 0.5;
        var histogram = new Histogram(0.1, 1);
        histogram.Observe(TimeSpan.FromMilliseconds(50));
        histogram.Observe(TimeSpan.FromMilliseconds(100)); // on the bound: le is inclusive
        histogram.Observe(TimeSpan.FromSeconds(3));
        var board = new MetricBoard()
            .Counter("heartbeat_takeovers_total", "Groups taken over.", () => takeovers)
            .Gauge("heartbeat_node_last_heard_age_seconds", "Seconds since the last status.", () => age, ("node", "server1"))
            .Histogram("heartbeat_takeover_duration_seconds", "Takeover duration.", histogram)
            .Gauge("heartbeat_node_last_heard_age_seconds", "", () => double.NaN, ("node", "ser\"ver2"));
        board.Seal();
        Assert.Null(board.Render());
        board.Publish();
        string text = Encoding.UTF8.GetString(board.Render()!);
        Assert.Equal(
            """
            # HELP heartbeat_takeovers_total Groups taken over.
            # TYPE heartbeat_takeovers_total counter
            heartbeat_takeovers_total 3
            # HELP heartbeat_node_last_heard_age_seconds Seconds since the last status.
            # TYPE heartbeat_node_last_heard_age_seconds gauge
            heartbeat_node_last_heard_age_seconds{node="server1"} 0.5
            heartbeat_node_last_heard_age_seconds{node="ser\"ver2"} NaN
            # HELP heartbeat_takeover_duration_seconds Takeover duration.
            # TYPE heartbeat_takeover_duration_seconds histogram
            heartbeat_takeover_duration_seconds_bucket{le="0.1"} 2
            heartbeat_takeover_duration_seconds_bucket{le="1"} 2
            heartbeat_takeover_duration_seconds_bucket{le="+Inf"} 3
            heartbeat_takeover_duration_seconds_sum 3.15
            heartbeat_takeover_duration_seconds_count 3

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void A_scrape_sees_the_last_publication_not_the_live_figures()
    {
        long value = 1;
        var board = new MetricBoard().Counter("x_total", "x", () => value);
        board.Seal();
        board.Publish();
        value = 2;
        Assert.Contains("x_total 1\n", Encoding.UTF8.GetString(board.Render()!), StringComparison.Ordinal);
        byte[] first = board.Render()!;
        Assert.Same(first, board.Render()); // rendered once per publication
        board.Publish();
        Assert.Contains("x_total 2\n", Encoding.UTF8.GetString(board.Render()!), StringComparison.Ordinal);
        Assert.Equal(2, board.Published);
    }

    [Fact]
    public void Registration_mistakes_are_refused()
    {
        var board = new MetricBoard().Gauge("g", "g", () => 1, ("a", "1"));
        Assert.Throws<ArgumentException>(() => board.Counter("no_suffix", "x", () => 1));
        Assert.Throws<ArgumentException>(() => board.Gauge("g", "g", () => 1, ("a", "1")));
        Assert.Throws<ArgumentException>(() => board.Counter("g_total", "x", () => 1).Gauge("g_total", "x", () => 1));
        Assert.Throws<ArgumentException>(() => board.Gauge("bad name", "x", () => 1));
        board.Seal();
        Assert.Throws<InvalidOperationException>(() => board.Gauge("late", "x", () => 1));
    }

    [Fact]
    public void Publishing_allocates_nothing()
    {
        long n = 0;
        var histogram = Histogram.Durations();
        var board = new MetricBoard()
            .Counter("a_total", "a", () => n)
            .Gauge("b", "b", () => n * 0.5, ("k", "v"))
            .Histogram("c_seconds", "c", histogram);
        board.Seal();
        board.Publish(); // warm-up (JIT)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            n++;
            histogram.Observe(TimeSpan.FromMilliseconds(i));
            board.Publish();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Readers_on_other_threads_always_see_whole_frames()
    {
        // Two series always published equal: a torn frame would show them apart.
        long value = 0;
        var board = new MetricBoard().Gauge("left", "l", () => value).Gauge("right", "r", () => value);
        board.Seal();
        board.Publish();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var publisher = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                value++;
                board.Publish();
            }
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var seen = new HashSet<string>();
            while (seen.Count < 200 && !stop.IsCancellationRequested)
            {
                string text = Encoding.UTF8.GetString(board.Render()!);
                string left = Line(text, "left ");
                Assert.Equal(left, Line(text, "right "));
                seen.Add(left);
            }

            return seen.Count;
        })).ToArray();
        await Task.WhenAll(readers);
        await stop.CancelAsync();
        await publisher;
        Assert.All(readers, r => Assert.Equal(200, r.Result));
    }

    private static string Line(string text, string prefix) =>
        text.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];
}
