using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench;

/// <summary>What one implementation costs to run, measured on a pair at rest and on a lone node's start.</summary>
public sealed record FootprintResult(
    string Implementation,
    int KeepaliveMilliseconds,
    int Processes,
    double RssMegabytes,
    double PssMegabytes,
    double CpuSecondsPer10Minutes,
    double PacketsPerSecond,
    double? ExecToFirstKeepaliveMilliseconds,
    double? LaunchToFirstKeepaliveMilliseconds,
    double? LoneExecToVipMilliseconds,
    int Starts,
    double IdleSeconds,
    string? Problem);

/// <summary>
/// Footprint: for each implementation, a pair started side by side with the others (same machine, same minutes), at
/// rest: the CPU time of every thread of every process of the daemon (schedstat's nanoseconds: utime and
/// stime come in 10 ms ticks, too coarse for daemons that use a few ms a second), their total RSS and PSS, and the
/// packets per second both nodes send. Then, one implementation after the other (so no start competes with another's
/// for the two cores), a lone node with initdead = deadtime started several times: from the exec of the daemon's
/// binary to its first keepalive on the wire (tcpdump in its namespace) and to its VIP up; medians.
/// </summary>
public static class Footprint
{
    private const string Vip = Trials.Vip;

    public static async Task<IReadOnlyList<FootprintResult>> MeasureAsync(BenchOptions options, TimeSpan idle, int starts)
    {
        var runs = options.Implementations.Select(implementation => Task.Run(() => MeasureOne(implementation, options, idle))).ToArray();
        var atRest = await Task.WhenAll(runs).ConfigureAwait(false);
        var results = new List<FootprintResult>();
        foreach (var (implementation, rest) in options.Implementations.Zip(atRest))
        {
            results.Add(rest.Problem is null ? MeasureStarts(implementation, options, rest, starts) : rest);
        }

        return results;
    }

    public static void Write(BenchOptions options, IReadOnlyList<FootprintResult> results)
    {
        File.WriteAllText(Path.Join(options.Output, "footprint.json"), JsonSerializer.Serialize(results, BenchJson.Default.IReadOnlyListFootprintResult));
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(c, $"# Footprint, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n");
        md.Append(c, $"Each implementation as a pair at keepalive {options.KeepaliveMilliseconds} ms / deadtime {options.DeadtimeSeconds} s (keepalived: advert_int {Math.Max(1, options.KeepaliveMilliseconds / 1000)} s), all three at the same time on this {Environment.ProcessorCount}-core machine. At rest for the idle window: CPU seconds of every thread of every process of the daemon on both nodes (schedstat run time, scaled to 10 minutes), total RSS and PSS of those processes (both nodes), packets per second sent by both nodes. Start-up, one implementation at a time, medians of {results.Max(r => r.Starts)} starts of one node alone with initdead = deadtime: exec → first keepalive is from the exec of the daemon's binary (noted by the bash that execs it) to its first heartbeat (keepalived: VRRP advert, sent only once it is master) on its wire; launch → first keepalive also counts the launcher (the benchmark's process start, ip netns exec, unshare and mounts for 3.0.6); lone exec → VIP: to its VIP on the interface.\n\n");
        md.Append("| implementation | processes | RSS total | PSS total | CPU s / 10 min | packets/s | CPU per packet sent | exec → first keepalive | launch → first keepalive | lone exec → VIP | idle window |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in results)
        {
            // CPU per packet: the comparison at the same packet rate (a heartbeat pair sends twice what one VRRP master does).
            string perPacket = r.PacketsPerSecond > 0 ? string.Create(c, $"{r.CpuSecondsPer10Minutes / (r.PacketsPerSecond * 600) * 1000:F2} ms") : "n/a";
            md.Append(r.Problem is { } problem
                ? $"| {r.Implementation} | failed: {problem} | | | | | | | | | |\n"
                : string.Create(c, $"| {r.Implementation} | {r.Processes} | {r.RssMegabytes:F1} MB | {r.PssMegabytes:F1} MB | {r.CpuSecondsPer10Minutes:F2} | {r.PacketsPerSecond:F1} | {perPacket} | {Ms(r.ExecToFirstKeepaliveMilliseconds)} | {Ms(r.LaunchToFirstKeepaliveMilliseconds)} | {Ms(r.LoneExecToVipMilliseconds)} | {r.IdleSeconds:F0} s |\n"));
        }

        File.WriteAllText(Path.Join(options.Output, "footprint.md"), md.ToString());
        Console.Write(md.ToString());

        static string Ms(double? value) => value is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) + " ms" : "n/a";
    }

    private static FootprintResult MeasureOne(Implementation implementation, BenchOptions options, TimeSpan idle)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        try
        {
            var (processes, rss, pss, cpu, packets) = MeasurePair(implementation, options, idle);
            return new FootprintResult(impl, options.KeepaliveMilliseconds, processes, rss, pss, cpu, packets, null, null, null, 0, idle.TotalSeconds, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            return new FootprintResult(impl, options.KeepaliveMilliseconds, 0, 0, 0, 0, 0, null, null, null, 0, idle.TotalSeconds, ex.Message);
        }
    }

    /// <summary>The start-up figures of <paramref name="rest"/>'s implementation: medians over lone starts.</summary>
    private static FootprintResult MeasureStarts(Implementation implementation, BenchOptions options, FootprintResult rest, int starts)
    {
        var runs = new List<LoneStart>();
        for (int i = 0; i < starts; i++)
        {
            try
            {
                runs.Add(MeasureLoneStart(implementation, options));
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
            {
                return rest with { Problem = $"lone start: {ex.Message}" };
            }
        }

        return rest with
        {
            ExecToFirstKeepaliveMilliseconds = Median(runs.Select(r => r.ExecToFirstKeepalive)),
            LaunchToFirstKeepaliveMilliseconds = Median(runs.Select(r => r.LaunchToFirstKeepalive)),
            LoneExecToVipMilliseconds = Median(runs.Select(r => r.ExecToVip)),
            Starts = runs.Count,
        };

        static double? Median(IEnumerable<double?> values)
        {
            var known = values.OfType<double>().Order().ToArray();
            return known.Length == 0 ? null : known.Length % 2 == 1 ? known[known.Length / 2] : (known[(known.Length / 2) - 1] + known[known.Length / 2]) / 2;
        }
    }

    private static Lab NewLab(string purpose, BenchOptions options) => new(purpose)
    {
        Keepalive = TimeSpan.FromMilliseconds(options.KeepaliveMilliseconds),
        DeadtimeSeconds = options.DeadtimeSeconds,
        Warntime = options.Warntime,
        InitdeadSeconds = options.DeadtimeSeconds,
        AutoFailback = "on",
        Haresources = $"server1 IPaddr2::{Vip}/24/ens18\n",
    };

    private static (int Processes, double Rss, double Pss, double Cpu, double Packets) MeasurePair(Implementation implementation, BenchOptions options, TimeSpan idle)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        var lab = NewLab($"foot {impl}", options);
        try
        {
            var nodes = lab.Declare(implementation == Implementation.Real, implementation == Implementation.Real);
            var pair = implementation == Implementation.Keepalived ? (IPair)new KeepalivedPair(lab, options) : new HeartbeatPair(lab);
            try
            {
                pair.Start(nodes[0]);
                pair.Start(nodes[1]);

                using (var watch = WatchAddresses(lab, nodes[0]))
                {
                    if (!Lab.WaitUntil(() => watch.Has(IPAddress.Parse(Vip)), TimeSpan.FromSeconds(90)))
                    {
                        throw new TimeoutException("server1 never held the VIP");
                    }
                }

                // At rest: past every start-up effect (3.0.6's first 5 s, keepalived's election).
                Thread.Sleep(10_000);
                var (before, after, seconds) = Window(lab, nodes, idle);
                double cpu = after.Sum(a => a.CpuSeconds) - before.Sum(b => b.CpuSeconds);
                double packets = after.Sum(a => a.TxPackets) - before.Sum(b => b.TxPackets);
                return (after.Sum(a => a.Processes), after.Sum(a => a.RssKb) / 1024.0, after.Sum(a => a.PssKb) / 1024.0, cpu / seconds * 600, packets / seconds);
            }
            finally
            {
                pair.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            lab.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private sealed record LoneStart(double? ExecToFirstKeepalive, double? LaunchToFirstKeepalive, double? ExecToVip);

    /// <summary>
    /// One node alone, initdead = deadtime: from the exec of its binary to its first keepalive on the wire and to its
    /// VIP on the interface (polled every 5 ms over rtnetlink).
    /// </summary>
    private static LoneStart MeasureLoneStart(Implementation implementation, BenchOptions options)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        var lab = NewLab($"lone {impl}", options);
        try
        {
            var nodes = lab.Declare(implementation == Implementation.Real, implementation == Implementation.Real);
            var pair = implementation == Implementation.Keepalived ? (IPair)new KeepalivedPair(lab, options) : new HeartbeatPair(lab);
            try
            {
                using var watch = WatchAddresses(lab, nodes[0]);
                using var capture = new FirstPacket(lab, nodes[0], implementation == Implementation.Keepalived);
                var clock = Stopwatch.StartNew();
                var launch = DateTimeOffset.UtcNow;
                pair.Start(nodes[0]);
                var vip = IPAddress.Parse(Vip);
                double? execToVip = null;
                while (clock.Elapsed < TimeSpan.FromSeconds(90))
                {
                    if (watch.Has(vip))
                    {
                        var seen = DateTimeOffset.UtcNow;
                        execToVip = Lab.ExecStamp(nodes[0]) is { } exec ? (seen - exec).TotalMilliseconds : null;
                        break;
                    }

                    Thread.Sleep(5);
                }

                // keepalived sends its first advert as master, about when the VIP comes up: allow it a moment.
                var first = capture.Wait(TimeSpan.FromSeconds(5));
                return new LoneStart(
                    first is { } f && Lab.ExecStamp(nodes[0]) is { } e ? (f - e).TotalMilliseconds : null,
                    first is { } g ? (g - launch).TotalMilliseconds : null,
                    execToVip);
            }
            finally
            {
                pair.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            lab.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <param name="ProcessCpuSeconds">utime + stime of /proc/PID/stat (10 ms ticks), which keeps the time of threads that ended.</param>
    private sealed record NodeSample(int Processes, double CpuSeconds, long RssKb, long PssKb, long TxPackets, double ProcessCpuSeconds = 0);

    /// <summary>The scale benchmark's footprint of every node of a lab over <paramref name="idle"/>: RSS, CPU and packets summed.</summary>
    internal static (double RssMegabytes, double CpuSecondsPer10Minutes, double PacketsPerSecond) AtRest(Lab lab, IReadOnlyList<LabNode> nodes, TimeSpan idle)
    {
        var (before, after, seconds) = Window(lab, nodes, idle);
        // The process's own counters: a .NET pool thread that retires during the window takes its schedstat with it.
        double cpu = after.Sum(a => a.ProcessCpuSeconds) - before.Sum(b => b.ProcessCpuSeconds);
        double packets = after.Sum(a => a.TxPackets) - before.Sum(b => b.TxPackets);
        return (after.Sum(a => a.RssKb) / 1024.0, cpu / seconds * 600, packets / seconds);
    }

    /// <summary>Every node sampled, <paramref name="idle"/> waited, every node sampled again; the window's length in seconds.</summary>
    private static (NodeSample[] Before, NodeSample[] After, double Seconds) Window(Lab lab, IReadOnlyList<LabNode> nodes, TimeSpan idle)
    {
        var before = nodes.Select(n => Sample(lab, n)).ToArray();
        var clock = Stopwatch.StartNew();
        Thread.Sleep(idle);
        var after = nodes.Select(n => Sample(lab, n)).ToArray();
        return (before, after, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Every daemon process in the node's network namespace (heartbeat's master and children; keepalived's two).</summary>
    private static NodeSample Sample(Lab lab, LabNode node)
    {
        string netns = lab.Netns(node);
        string target = $"net:[{Inode($"/var/run/netns/{netns}")}]";
        int count = 0;
        double cpu = 0, processCpu = 0;
        long rss = 0, pss = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            string pid = Path.GetFileName(dir);
            if (!int.TryParse(pid, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            try
            {
                string comm = File.ReadAllText(Path.Join(dir, "comm")).Trim();
                if (comm is not ("heartbeat" or "keepalived") || ReadLink(Path.Join(dir, "ns", "net")) != target)
                {
                    continue;
                }

                string stat = File.ReadAllText(Path.Join(dir, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z")
                {
                    continue;
                }

                cpu += RunSeconds(dir);
                processCpu += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
                rss += Kb(File.ReadAllLines(Path.Join(dir, "status")), "VmRSS:");
                pss += Kb(File.ReadAllLines(Path.Join(dir, "smaps_rollup")), "Pss:");
                count++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        var (_, json, _) = Processes.Run(["ip", "-n", netns, "-s", "-j", "link", "show", "ens18"], TimeSpan.FromSeconds(10));
        using var doc = JsonDocument.Parse(json);
        long tx = doc.RootElement[0].GetProperty("stats64").GetProperty("tx").GetProperty("packets").GetInt64();
        return new NodeSample(count, cpu, rss, pss, tx, processCpu);
    }

    /// <summary>Time on the CPU of every thread of the process: the first field of each task's schedstat, in ns.</summary>
    private static double RunSeconds(string processDirectory)
    {
        long nanoseconds = 0;
        foreach (var task in Directory.EnumerateDirectories(Path.Join(processDirectory, "task")))
        {
            try
            {
                string schedstat = File.ReadAllText(Path.Join(task, "schedstat"));
                nanoseconds += long.Parse(schedstat.AsSpan(0, schedstat.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A thread that ended meanwhile.
            }
        }

        return nanoseconds / 1e9;
    }

    private static long Kb(string[] lines, string key) =>
        lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) is { } line
            ? long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)
            : 0;

    private static string? ReadLink(string path) => new FileInfo(path).LinkTarget;

    private static string Inode(string path)
    {
        var (_, output, _) = Processes.Run(["stat", "-L", "-c", "%i", path], TimeSpan.FromSeconds(10));
        return output.Trim();
    }

    /// <summary>tcpdump in the node's namespace: the time of its first heartbeat (or VRRP advert) on the wire.</summary>
    private sealed class FirstPacket : IDisposable
    {
        private readonly PacketCapture _capture;
        private readonly TaskCompletionSource<DateTimeOffset> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FirstPacket(Lab lab, LabNode node, bool vrrp) => _capture = new PacketCapture(
            lab.Netns(node),
            vrrp ? $"src {node.Address} and ip proto 112" : $"src {node.Address} and udp dst port 694",
            count: 1,
            onLine: line =>
            {
                if (line.IndexOf(' ', StringComparison.Ordinal) is > 0 and var space
                    && decimal.TryParse(line.AsSpan(0, space), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal epoch))
                {
                    _first.TrySetResult(DateTimeOffset.UnixEpoch.AddTicks((long)(epoch * TimeSpan.TicksPerSecond)));
                }
            });

        public DateTimeOffset? Wait(TimeSpan timeout) => _first.Task.Wait(timeout) ? _first.Task.Result : null;

        public void Dispose() => _capture.Dispose();
    }

    /// <summary>An rtnetlink socket in the node's namespace, asked on demand.</summary>
    private static AddressWatch WatchAddresses(Lab lab, LabNode node)
    {
        using var factory = new NetnsSocketFactory(lab.Netns(node));
        return factory.CreateAddressWatch();
    }
}
