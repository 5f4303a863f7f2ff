using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The metrics and the event stream on a live pair of ours: a real Prometheus (Debian's) scrapes both during a crash
/// takeover and its query API shows the takeover counted and the group moved; promtool accepts the text; hbctl events
/// --follow --json shows the takeover as ordered events; a storm of 1 000 scrapes a second for 10 s leaves the
/// heartbeats on time and the event loop without an allocation.
/// </summary>
public class MetricsTests(ITestOutputHelper output) : FailoverScenario(output)
{
    private const int Port = 9746;
    private static readonly string Group1 = $"IPaddr2::{Vip1}/24/ens18";

    private static string Target(LabNode node) => $"{node.Address}:{Port}";

    private static void StartWithMetrics(Lab lab, LabNode node) =>
        lab.StartOurs(node, Path.Join(node.Directory, "etc"), Path.Join(node.Directory, "state"), "--metrics-listen", Target(node));

    private static void StartAndPlaceWithMetrics(Lab lab, LabNode[] nodes)
    {
        foreach (var node in nodes)
        {
            StartWithMetrics(lab, node);
        }

        Assert.True(Lab.WaitUntil(() => Holds(lab, nodes[0], Vip1) && Holds(lab, nodes[1], Vip2), Wait), "not placed\n" + lab.Describe());
    }

    [Fact]
    public async Task Prometheus_sees_a_takeover_counted_and_the_group_moved_and_events_show_it_in_order()
    {
        await using var lab = NewLab("metrics takeover", "on");
        var nodes = lab.Declare(false, false);
        StartAndPlaceWithMetrics(lab, nodes);
        string spy = lab.AddOutsider();
        using var prometheus = new PrometheusServer(spy, Path.Join(lab.Directory, "prometheus"), nodes.Select(Target));
        string survivor = Target(nodes[1]);

        // Both targets up, server1 holding its group and server2 not, as Prometheus sees them.
        Assert.True(
            Lab.WaitUntil(() => prometheus.Query("up == 1").Count == 2 && prometheus.Scalar($"heartbeat_group_held{{instance=\"{survivor}\",group=\"{Group1}\"}}") == 0, Wait),
            $"Prometheus does not scrape both\n{File.ReadAllText(prometheus.LogPath)}\n{lab.Describe()}");
        Assert.Equal(1, prometheus.Scalar($"heartbeat_group_held{{instance=\"{Target(nodes[0])}\",group=\"{Group1}\"}}"));
        Assert.Equal(0, prometheus.Scalar($"heartbeat_takeovers_total{{instance=\"{survivor}\"}}"));

        // promtool accepts what the daemon serves (the same text as hbctl metrics).
        var (code, text) = Lab.RunHbctl(nodes[1], "metrics");
        Assert.Equal(0, code);
        string file = Path.Join(lab.Directory, "server2.prom");
        File.WriteAllText(file, text);
        var check = Processes.Run(["sh", "-c", "promtool check metrics < \"$0\"", file], TimeSpan.FromSeconds(30));
        Assert.True(check.Code == 0, $"promtool check metrics: {check.Output}{check.Error}");

        // The event stream, followed from before the crash.
        using var events = StartEvents(nodes[1]);
        var lines = new List<string>();
        var reading = Task.Run(async () =>
        {
            while (await events.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        });

        lab.Kill(nodes[0]);
        Assert.True(Lab.WaitUntil(() => Holds(lab, nodes[1], Vip1), Wait), "no takeover\n" + lab.Describe());

        // Through Prometheus' query API: the takeover counted, its duration observed, the group held by server2.
        Assert.True(
            Lab.WaitUntil(() => prometheus.Scalar($"heartbeat_takeovers_total{{instance=\"{survivor}\"}}") >= 1 && prometheus.Scalar($"heartbeat_group_held{{instance=\"{survivor}\",group=\"{Group1}\"}}") == 1, Wait),
            $"Prometheus did not see the takeover\n{lab.Describe()}");
        Assert.True(prometheus.Scalar($"heartbeat_takeover_duration_seconds_count{{instance=\"{survivor}\"}}") >= 1);
        Assert.Equal(1, prometheus.Scalar($"heartbeat_node_state{{instance=\"{survivor}\",node=\"server1\",state=\"dead\"}}"));
        Assert.Equal(1, prometheus.Scalar($"heartbeat_group_owner{{instance=\"{survivor}\",group=\"{Group1}\",node=\"server2\"}}"));
        Assert.True(prometheus.Scalar($"heartbeat_group_transitions_total{{instance=\"{survivor}\",action=\"acquire\",cause=\"peer_dead\"}}") >= 1);
        Assert.True(Lab.WaitUntil(() => prometheus.Scalar($"up{{instance=\"{Target(nodes[0])}\"}}") == 0, Wait), "server1's target still up");
        var duration = prometheus.Scalar($"heartbeat_takeover_duration_seconds_sum{{instance=\"{survivor}\"}}");
        Output.WriteLine($"takeover duration (decided -> first ARP) as Prometheus has it: {duration:0.000000} s");

        // hbctl events --follow --json: node_dead, then the takeover, then the group's acquisition done, in order.
        Assert.True(Lab.WaitUntil(() => Snapshot(lines).Any(l => l.Contains("\"event\":\"group_done\"", StringComparison.Ordinal) && l.Contains(Group1, StringComparison.Ordinal)), Wait), "no group_done event\n" + string.Join('\n', Snapshot(lines)));
        events.Kill();
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        var stream = Snapshot(lines).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Output.WriteLine(string.Join('\n', Snapshot(lines)));
        var seqs = stream.Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.Order(), seqs);
        int dead = stream.FindIndex(e => Is(e, "node_dead") && e.GetProperty("peer").GetString() == "server1");
        int takeover = stream.FindIndex(e => Is(e, "takeover") && e.GetProperty("group").GetString() == Group1);
        int done = stream.FindIndex(e => Is(e, "group_done") && e.GetProperty("group").GetString() == Group1 && e.GetProperty("action").GetString() == "acquire");
        Assert.True(dead >= 0 && takeover > dead && done > takeover, $"order: node_dead {dead}, takeover {takeover}, group_done {done}");
        Assert.Equal("peer_dead", stream[done].GetProperty("cause").GetString());
        Assert.Equal("server2", stream[done].GetProperty("node").GetString());
    }

    [Fact]
    public async Task A_scrape_storm_leaves_heartbeats_on_time_and_the_loop_without_allocations()
    {
        await using var lab = NewLab("metrics storm", "on");

        // SteadyStateTests' timing, at which the loop is known to come to rest: heartbeats every 20 ms (500 a second
        // to be kept on time through the storm); a late one is reported past 1 s, a death declared past 3 s.
        lab.Keepalive = TimeSpan.FromMilliseconds(20);
        lab.Warntime = TimeSpan.FromSeconds(1);
        lab.Deadtime = TimeSpan.FromSeconds(3);
        var nodes = lab.Declare(false, false);
        StartAndPlaceWithMetrics(lab, nodes);
        string spy = lab.AddOutsider();
        var target = nodes[0];

        // Let the start-up's one-off allocations and JIT pass: the loop is at rest when a 3 s round allocates nothing.
        long allocated = 0;
        var rounds = new List<long>();
        Assert.True(Lab.WaitUntil(() =>
        {
            long before = LoopAllocated(target);
            Thread.Sleep(3000);
            allocated = LoopAllocated(target);
            rounds.Add(allocated - before);
            return allocated == before;
        }, TimeSpan.FromSeconds(60)), $"the loop never came to rest: {string.Join(", ", rounds)} bytes a round\n" + lab.Describe());

        // The counters line, once a minute from the loop's start, is a log line the loop formats (an allocation): a
        // storm that would span the first one waits for it to pass.
        if (Lab.ExecStamp(target) is { } started && DateTimeOffset.UtcNow - started > TimeSpan.FromSeconds(40))
        {
            Assert.True(Lab.WaitForLog(target, "Counters: ", TimeSpan.FromSeconds(60)), "no counters line\n" + lab.Describe());
            Thread.Sleep(500);
            allocated = LoopAllocated(target);
        }

        var peerBefore = Metrics(nodes[1]);
        int peerLog = nodes[1].Log().Length;

        // 10 000 scrapes at 1 000 a second, one connection each (the listener closes after every answer), paced by the
        // client's schedule with up to 32 in flight.
        var storm = await ScrapeStorm.RunAsync(spy, IPEndPoint.Parse(Target(target)), perSecond: 1_000, TimeSpan.FromSeconds(10), inFlight: 32);
        var latencies = storm.LatenciesMs;
        Output.WriteLine($"{storm.Answered200} of {storm.Sent} scrapes answered 200 in {storm.Elapsed.TotalSeconds:0.0} s ({storm.Rate:0} a second); latency p50 {latencies[latencies.Count / 2]:0.00} ms, p99 {latencies[latencies.Count * 99 / 100]:0.00} ms, max {latencies[^1]:0.00} ms");
        Assert.True(storm.Answered200 >= 9_900, $"only {storm.Answered200} of {storm.Sent} scrapes answered: {string.Join("; ", storm.Failures.Take(5))}");
        Assert.True(storm.Elapsed < TimeSpan.FromSeconds(11), $"the storm did not keep 1 000 a second: {storm.Elapsed.TotalSeconds:0.0} s for {storm.Sent}");

        // The loop allocated nothing for them, the peer heard every heartbeat on time, and nothing was lost.
        Assert.Equal(allocated, LoopAllocated(target));
        var peerAfter = Metrics(nodes[1]);
        Assert.Equal(peerBefore["heartbeat_late_heartbeats_total"], peerAfter["heartbeat_late_heartbeats_total"]);
        Assert.DoesNotContain("Late heartbeat", nodes[1].Log()[peerLog..], StringComparison.Ordinal);
        string slow = "heartbeat_keepalive_interval_seconds_bucket{le=\"0.25\"}";
        long intervals = (long)(peerAfter["heartbeat_keepalive_interval_seconds_count"] - peerBefore["heartbeat_keepalive_interval_seconds_count"]);
        long withinHalfSecond = (long)(peerAfter[slow] - peerBefore[slow]);
        Output.WriteLine($"peer: {intervals} keepalive intervals during the storm, {withinHalfSecond} within 0.25 s (keepalive {lab.Keepalive.TotalMilliseconds} ms)");
        Assert.True(intervals >= 10 / lab.Keepalive.TotalSeconds * 0.8, $"only {intervals} heartbeats heard");
        Assert.Equal(intervals, withinHalfSecond);
        Assert.True(Holds(lab, nodes[0], Vip1) && Holds(lab, nodes[1], Vip2), "a group moved during the storm\n" + lab.Describe());
    }

    private static bool Is(JsonElement e, string name) => e.GetProperty("event").GetString() == name;

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }

    private static Process StartEvents(LabNode node)
    {
        var info = new ProcessStartInfo(Lab.Hbctl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["events", "--follow", "--json", "--run-dir", Path.Join(node.Directory, "run")])
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    /// <summary>The node's unlabeled and bucket samples from hbctl metrics, by their full series text.</summary>
    private static Dictionary<string, double> Metrics(LabNode node)
    {
        var (code, text) = Lab.RunHbctl(node, "metrics");
        Assert.Equal(0, code);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l => (Series: l[..l.LastIndexOf(' ')], Value: l[(l.LastIndexOf(' ') + 1)..]))
            .ToDictionary(p => p.Series, p => double.Parse(p.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    private static long LoopAllocated(LabNode node)
    {
        var (code, json) = Lab.RunHbctl(node, "status", "--json");
        Assert.Equal(0, code);
        using var status = JsonDocument.Parse(json);
        return status.RootElement.GetProperty("counters").GetProperty("loopAllocatedBytes").GetInt64();
    }
}
