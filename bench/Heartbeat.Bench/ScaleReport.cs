using System.Globalization;
using System.Text;

namespace Heartbeat.Bench;

/// <summary>The scale curves' report.md: one table per kind, and a gnuplot chart per curve (log-log, one line per implementation).</summary>
public static class ScaleReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Write(string output, BenchOptions options, IReadOnlyList<ScaleResult> results)
    {
        var text = new StringBuilder();
        text.Append(C, $"# Scale curves, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n");
        text.Append(C, $"{Environment.ProcessorCount} cores; keepalive {options.KeepaliveMilliseconds} ms, deadtime {options.DeadtimeSeconds} s (keepalived: advert_int 1 s); one lab per point; every step bounded by {options.ScaleTimeoutSeconds} s (\"> {options.ScaleTimeoutSeconds} s\": not done by then). Ours runs as the NativeAOT build.\n\n");
        text.Append(
            "VIP i is 10.11.(i/250).(i%250+1)/24 on ens18 (`IPaddr2::VIP/24/ens18`); the client has an address in each of those /24s. " +
            "A group of N VIPs: one haresources line with N resources (keepalived: one VRRP instance whose `virtual_ipaddress` block has the N addresses). " +
            "N groups: N haresources lines of one VIP each (keepalived: N VRRP instances of one address each, virtual_router_id 51…: the independent failover units that N groups are; one instance with N addresses is the group-of-N curve). " +
            "server1 starts alone and acquires (auto_failback off; keepalived `nopreempt`), then server2 joins. " +
            "Takeover: server1 SIGKILLed and its addresses flushed (a power-off); times from the kill to server2's first gratuitous ARP of the first VIP and of the VIP announced last (tcpdump in the client's namespace on the lab bridge), and to the client's first answer from server2 for every VIP. " +
            "The client sends a UDP datagram to every VIP every 20 ms and each node answers on 0.0.0.0 with its name (a TCP connection per VIP and 20 ms would be 12,800 a second at 256 VIPs, loading the 2-core machine the daemons run on). " +
            "Handover: server1 restarted (it stays backup), server2 stopped gracefully (SIGTERM), to server1 answering for every VIP. " +
            $"Start: server1's launch to its answering for every VIP (includes initdead {Math.Max(options.DeadtimeSeconds * 2, 6)} s; keepalived: its master-down timer). " +
            $"At rest: both nodes over {options.RestSeconds} s with the client quiet, RSS and CPU of every daemon process summed, packets sent per second summed.\n\n");
        Groups(text, results, "vips", "VIPs in one group");
        Groups(text, results, "groups", "groups of one VIP");
        Members(text, results);
        BeforeAfter(text, output, results);
        text.Append("## Charts\n\n");
        foreach (var (file, title) in Charts(output, results))
        {
            text.Append(C, $"![{title}]({file})\n\n");
        }

        File.WriteAllText(Path.Join(output, "report.md"), text.ToString());
    }

    private static void Groups(StringBuilder text, IReadOnlyList<ScaleResult> results, string kind, string what)
    {
        var rows = Ordered(results.Where(r => r.Kind == kind));
        if (rows.Count == 0)
        {
            return;
        }

        text.Append(C, $"## {what}\n\n| size | implementation | first ARP | last ARP | last − first | all answering | handover | start | RSS | CPU s/10 min | packets/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
        {
            if (!r.Ok)
            {
                text.Append(C, $"| {r.Size} | {r.Implementation} | failed: {r.Problem} |||||||||\n");
                continue;
            }

            bool takeoverLate = r.TimedOut.Contains("takeover");
            double? spread = r.LastArpMilliseconds - r.FirstArpMilliseconds;
            text.Append(C, $"| {r.Size} | {r.Implementation} | {Ms(r.FirstArpMilliseconds, takeoverLate)} | {Ms(r.LastArpMilliseconds, takeoverLate)} | {Ms(spread, takeoverLate)} | {Ms(r.AllAnsweringMilliseconds, takeoverLate)} | {Ms(r.HandoverMilliseconds, r.TimedOut.Contains("handover"))} | {Ms(r.StartMilliseconds, false)} | {r.RssMegabytes:F1} MB | {r.CpuSecondsPer10Minutes:F2} | {r.PacketsPerSecond:F1} |\n");
        }

        text.Append('\n');
    }

    private static void Members(StringBuilder text, IReadOnlyList<ScaleResult> results)
    {
        var rows = Ordered(results.Where(r => r.Kind == "members"));
        if (rows.Count == 0)
        {
            return;
        }

        text.Append("## Membership\n\nN nodes of one implementation in one lab (bcast), no resources; at rest as above, summed over all nodes; then the last node SIGKILLed: to the first and the last survivor logging `node X: is dead` (ha-log polled every 2 ms).\n\n");
        text.Append("| nodes | implementation | CPU s/10 min (all) | CPU per node | packets/s (all) | RSS (all) | dead: first survivor | last survivor |\n|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
        {
            text.Append(r.Ok
                ? string.Create(C, $"| {r.Size} | {r.Implementation} | {r.CpuSecondsPer10Minutes:F2} | {r.CpuSecondsPer10Minutes / r.Size:F2} | {r.PacketsPerSecond:F1} | {r.RssMegabytes:F1} MB | {Ms(r.DetectionFirstMilliseconds, false)} | {Ms(r.DetectionLastMilliseconds, r.TimedOut.Contains("detection"))} |\n")
                : $"| {r.Size} | {r.Implementation} | failed: {r.Problem} |||||||\n");
        }

        text.Append('\n');
    }

    /// <summary>
    /// before.json beside results.json (a run of ours before a change, the same scenario): ours before and after, per
    /// size, the figures the change is about.
    /// </summary>
    private static void BeforeAfter(StringBuilder text, string output, IReadOnlyList<ScaleResult> results)
    {
        string path = Path.Join(output, "before.json");
        if (!File.Exists(path))
        {
            return;
        }

        var before = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(path), BenchJson.Default.IReadOnlyListScaleResult) ?? [];
        text.Append("## Ours before and after batching a group's VIPs\n\n");
        text.Append("Before: each VIP of a group started alone (one RTM_NEWADDR, its own ARP round, four dumps of links, routes and addresses, its own timer for the later rounds; two sockets per VIP); after: one netlink batch, every first ARP at once, one dump of each kind for all, one timer tick per round for all, two sockets for the whole daemon, one dump per VIP check (before.json: the same scenario, its window at rest 10 s).\n\n");
        text.Append("| kind | size | last − first ARP (before → after) | all answering | handover | RSS |\n|---|---|---|---|---|---|\n");
        foreach (var b in before.Where(b => b.Ok && b.Implementation == "ours").OrderBy(b => b.Kind).ThenBy(b => b.Size))
        {
            if (results.FirstOrDefault(r => r.Ok && r.Implementation == "ours" && r.Kind == b.Kind && r.Size == b.Size) is not { } a)
            {
                continue;
            }

            text.Append(C, $"| {b.Kind} | {b.Size} | {Ms(b.LastArpMilliseconds - b.FirstArpMilliseconds, false)} → {Ms(a.LastArpMilliseconds - a.FirstArpMilliseconds, false)} | {Ms(b.AllAnsweringMilliseconds, false)} → {Ms(a.AllAnsweringMilliseconds, false)} | {Ms(b.HandoverMilliseconds, false)} → {Ms(a.HandoverMilliseconds, false)} | {b.RssMegabytes:F1} → {a.RssMegabytes:F1} MB |\n");
        }

        text.Append('\n');
    }

    private static List<ScaleResult> Ordered(IEnumerable<ScaleResult> results) =>
        [.. results.OrderBy(r => r.Size).ThenBy(r => r.Implementation switch { "ours" => 0, "real" => 1, _ => 2 })];

    private static string Ms(double? value, bool late) => late && value is null ? "> timeout" : value is { } v ? v.ToString("F1", C) + " ms" : "n/a";

    private static IEnumerable<(string File, string Title)> Charts(string output, IReadOnlyList<ScaleResult> results)
    {
        (string File, string Title, string Kind, string YLabel, Func<ScaleResult, double?> Value)[] charts =
        [
            ("vips-takeover.png", "Group of N VIPs: SIGKILL to every VIP answering", "vips", "ms from the kill", r => r.AllAnsweringMilliseconds),
            ("vips-arp-spread.png", "Group of N VIPs: last VIP's first ARP minus the first VIP's", "vips", "ms (0 drawn at 0.1)", r => r.LastArpMilliseconds - r.FirstArpMilliseconds is { } d ? Math.Max(0.1, d) : null),
            ("vips-handover.png", "Group of N VIPs: graceful stop to every VIP answering on the other node", "vips", "ms from the stop", r => r.HandoverMilliseconds),
            ("vips-cpu.png", "Group of N VIPs: CPU at rest, both nodes", "vips", "CPU s per 10 min", r => r.CpuSecondsPer10Minutes),
            ("vips-rss.png", "Group of N VIPs: RSS at rest, both nodes", "vips", "MB", r => r.RssMegabytes),
            ("groups-takeover.png", "N groups of one VIP: SIGKILL to every VIP answering", "groups", "ms from the kill", r => r.AllAnsweringMilliseconds),
            ("groups-arp-spread.png", "N groups: last VIP's first ARP minus the first VIP's", "groups", "ms (0 drawn at 0.1)", r => r.LastArpMilliseconds - r.FirstArpMilliseconds is { } d ? Math.Max(0.1, d) : null),
            ("groups-handover.png", "N groups: graceful stop to every VIP answering on the other node", "groups", "ms from the stop", r => r.HandoverMilliseconds),
            ("members-cpu.png", "N members: CPU at rest, all nodes", "members", "CPU s per 10 min", r => r.CpuSecondsPer10Minutes),
            ("members-packets.png", "N members: packets sent per second at rest, all nodes", "members", "packets/s", r => r.PacketsPerSecond),
            ("members-detection.png", "N members: kill to the last survivor logging the death", "members", "ms from the kill", r => r.DetectionLastMilliseconds),
        ];
        foreach (var chart in charts)
        {
            var points = results.Where(r => r.Ok && r.Kind == chart.Kind && chart.Value(r) is > 0).ToList();
            if (points.Count > 0 && Plot(output, chart.File, chart.Title, chart.YLabel, points, chart.Value))
            {
                yield return (chart.File, chart.Title);
            }
        }
    }

    private static bool Plot(string output, string file, string title, string ylabel, List<ScaleResult> points, Func<ScaleResult, double?> value)
    {
        var implementations = points.Select(p => p.Implementation).Distinct().ToList();
        string dataPath = Path.Join(output, Path.ChangeExtension(file, ".dat"));
        var data = new StringBuilder();
        foreach (string impl in implementations)
        {
            foreach (var p in points.Where(p => p.Implementation == impl).OrderBy(p => p.Size))
            {
                data.Append(C, $"{p.Size} {value(p)!.Value}\n");
            }

            data.Append("\n\n");
        }

        File.WriteAllText(dataPath, data.ToString());
        string plots = string.Join(", ", implementations.Select((impl, i) => $"'{dataPath}' index {i} using 1:2 with linespoints pt 7 title '{impl}'"));
        string script = $"""
            set terminal pngcairo size 800,450
            set output '{Path.Join(output, file)}'
            set title "{title}"
            set xlabel 'N'
            set ylabel '{ylabel}'
            set logscale xy
            set grid
            set key top left
            plot {plots}
            """;
        try
        {
            var (code, _, _) = Heartbeat.Integration.Tests.Support.Processes.Run(["gnuplot", "-e", script.Replace('\n', ';')], TimeSpan.FromSeconds(60));
            return code == 0 && File.Exists(Path.Join(output, file));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no gnuplot: the report goes without its charts
        }
    }
}
