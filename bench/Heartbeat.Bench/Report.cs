using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Heartbeat.Bench;

/// <summary>
/// The report: client outage per scenario and implementation (min / median / p90 / max / spread), the crash takeover
/// broken down step by step, partition heal settling and restarts, the issue's targets checked against the medians of
/// this run, and the chart.
/// </summary>
public static class Report
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Write(BenchOptions options, IReadOnlyList<TrialResult> results)
    {
        File.WriteAllText(Path.Join(options.Output, "results.json"), JsonSerializer.Serialize(results, BenchJson.Default.IReadOnlyListTrialResult));
        var md = new StringBuilder();
        md.Append(C, $"# Failover benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n");
        md.Append(C, $"{Environment.ProcessorCount} cores; keepalive {options.KeepaliveMilliseconds} ms, deadtime {options.DeadtimeSeconds} s (keepalived: advert_int {Math.Max(1, options.KeepaliveMilliseconds / 1000)} s, failover after 3 adverts); {options.Trials} trials per scenario, implementations in alternation, each trial in a fresh lab; a client starts a TCP connection to the VIP every 10 ms (attempts overlap, 200 ms timeout). Ours runs as the NativeAOT build.\n\n");
        md.Append("Outage = the longest time without a successful connection after the event. Double hold = the longest time both nodes held the VIP (polled every 50 ms over rtnetlink); with links cut the isolated holder keeps its copy until it hears the peer again, so a value there is expected.\n\n");
        Outages(md, results);
        Breakdowns(md, results);
        StepByStep(md, results);
        Ipv6BesideIpv4(md, results);
        Partitions(md, results);
        Targets(md, results);
        md.Append("\n## Failed trials\n\n");
        var failed = results.Where(r => !r.Ok).ToList();
        md.Append(failed.Count == 0 ? "none" : string.Join("\n", failed.Select(f => $"- {f.Scenario} #{f.Trial} {f.Implementation}: {f.Problem}")));
        md.Append('\n');
        if (Chart(options.Output, results))
        {
            md.Append("\n![outages](outages.png)\n");
        }

        File.WriteAllText(Path.Join(options.Output, "report.md"), md.ToString());
    }

    private static IEnumerable<string> Scenarios(IReadOnlyList<TrialResult> results) => results.Select(r => r.Scenario).Distinct();

    private static IEnumerable<string> Implementations(IReadOnlyList<TrialResult> results) => results.Select(r => r.Implementation).Distinct();

    private static IEnumerable<TrialResult> Ok(IReadOnlyList<TrialResult> results, string scenario, string implementation) =>
        results.Where(r => r.Scenario == scenario && r.Implementation == implementation && r.Ok);

    private static void Outages(StringBuilder md, IReadOnlyList<TrialResult> results)
    {
        md.Append("## Client outage\n\n| scenario | implementation | trials ok | min | median | p90 | max | spread | double hold (max) |\n|---|---|---|---|---|---|---|---|---|\n");
        foreach (var scenario in Scenarios(results))
        {
            foreach (var implementation in Implementations(results))
            {
                int total = results.Count(r => r.Scenario == scenario && r.Implementation == implementation);
                if (total == 0)
                {
                    continue;
                }

                var ok = Ok(results, scenario, implementation).Select(r => r.OutageMilliseconds).Order().ToArray();
                double hold = Ok(results, scenario, implementation).Select(r => r.DoubleHoldMilliseconds).DefaultIfEmpty(0).Max();
                md.Append(ok.Length == 0
                    ? string.Create(C, $"| {scenario} | {implementation} | 0/{total} | | | | | | |\n")
                    : string.Create(C, $"| {scenario} | {implementation} | {ok.Length}/{total} | {ok[0]:F0} ms | {Percentile(ok, 0.5):F0} ms | {Percentile(ok, 0.9):F0} ms | {ok[^1]:F0} ms | {ok[^1] - ok[0]:F0} ms | {hold:F0} ms |\n"));
            }
        }

        md.Append("\nMedian outage, ours ÷ real 3.0.6: ");
        md.Append(string.Join("; ", Scenarios(results).Select(scenario =>
            MedianOutage(results, scenario, "ours") is { } ours && MedianOutage(results, scenario, "real") is { } real && real > 0
                ? string.Create(C, $"{scenario} {ours / real:F2}")
                : $"{scenario} n/a")));
        md.Append("\n\n");
    }

    private static void Breakdowns(StringBuilder md, IReadOnlyList<TrialResult> results)
    {
        var crashes = results.Where(r => r.Ok && r.Breakdown is not null).ToList();
        if (crashes.Count == 0)
        {
            return;
        }

        md.Append("## Where a crash takeover's time goes\n\n");
        md.Append("Seen from the survivor, medians in ms from the victim's last heartbeat (VRRP advert) on the survivor's wire: death declared (the line appearing in its log, polled every 2 ms), the VIP on its interface (`ip -ts monitor address`, a userspace stamp: it can trail the ARP), its first gratuitous ARP on the wire (tcpdump), the client's first answer. Takeover path = first ARP on the wire − death declared. Ours writes its log on a thread of its own, after the ARP, so its log line is late: for ours \"dead\" is the wall-clock time the daemon itself stamped on the decision (the same loop turn as the death) and reported in that line. The last column is ours' own in-process figure, decision → frames handed to the kernel. keepalived's log reaches its file through a pipe here, so its line can trail its ARP (a negative path).\n\n");
        md.Append("IPv6 scenarios (`…6`): the VIP is fd00::50/64 and \"ARP\" is the first unsolicited neighbour advertisement to ff02::1 (tcpdump `icmp6 and ip6[40] == 136`). The address first appears tentative (\"→ VIP\"); \"→ DAD done\" is the kernel's notification that duplicate address detection passed (tentative cleared: only from then on does the kernel accept traffic for it). Ours and 3.0.6's IPv6addr add the VIP with DAD and send their first advertisement after it passed (by default up to 1 s of random delay plus one 1 s probe); keepalived adds its VIPs nodad, so its \"DAD done\" is the add itself.\n\n");
        md.Append("| scenario | implementation | trials | → dead | → VIP | → DAD done | → ARP/NA | → client | takeover path median (p90, max) | in process median (max) |\n|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var scenario in crashes.Select(r => r.Scenario).Distinct())
        {
            foreach (var implementation in crashes.Select(r => r.Implementation).Distinct())
            {
                var b = crashes.Where(r => r.Scenario == scenario && r.Implementation == implementation).Select(r => r.Breakdown!).ToList();
                if (b.Count == 0)
                {
                    continue;
                }

                var path = TakeoverPaths(b);
                md.Append(C, $"| {scenario} | {implementation} | {b.Count} | {Median(b.Select(x => x.DeathDeclared))} | {Median(b.Select(x => x.VipOnInterface))} | {Median(b.Select(x => x.VipUsable))} | {Median(b.Select(x => x.FirstArp))} | {Median(b.Select(x => x.ClientBack))} | ");
                md.Append(path.Length == 0 ? "n/a" : string.Create(C, $"{Percentile(path, 0.5):F3} ms ({Percentile(path, 0.9):F3}, {path[^1]:F3})"));
                var inside = b.Where(x => x.InProcess is not null).Select(x => x.InProcess!.Value).Order().ToArray();
                md.Append(inside.Length == 0 ? " | |\n" : string.Create(C, $" | {Percentile(inside, 0.5):F3} ms ({inside[^1]:F3}) |\n"));
            }
        }

        md.Append('\n');
    }

    /// <summary>
    /// Each crash beside its IPv6 variant, per implementation: death declared → first ARP (IPv4) or first unsolicited
    /// neighbour advertisement (IPv6) on the wire, and the client's outage; medians.
    /// </summary>
    private static void Ipv6BesideIpv4(StringBuilder md, IReadOnlyList<TrialResult> results)
    {
        var pairs = ((string V4, string V6)[])[("crash-cut", "crash-cut6"), ("crash-kill", "crash-kill6")];
        var present = pairs.Where(p => results.Any(r => r.Scenario == p.V6)).ToList();
        if (present.Count == 0)
        {
            return;
        }

        md.Append("## IPv6 takeover beside IPv4\n\n");
        md.Append("Medians of the successful trials: death declared → first ARP (IPv4) or first unsolicited neighbour advertisement (IPv6) on the survivor's wire, and the client's outage. The difference is where the IPv6 takeover's extra time goes: duplicate address detection before the first advertisement (see the breakdown above).\n\n");
        md.Append("| crash | implementation | IPv4: dead → first ARP | IPv6: dead → first NA | IPv6: dead → DAD done | IPv4 outage | IPv6 outage |\n|---|---|---|---|---|---|---|\n");
        foreach (var (v4, v6) in present)
        {
            foreach (string implementation in Implementations(results))
            {
                var four = Ok(results, v4, implementation).Where(r => r.Breakdown is not null).Select(r => r.Breakdown!).ToList();
                var six = Ok(results, v6, implementation).Where(r => r.Breakdown is not null).Select(r => r.Breakdown!).ToList();
                string Outage(string scenario) => MedianOutage(results, scenario, implementation) is { } o ? o.ToString("F0", C) + " ms" : "n/a";
                md.Append(C, $"| {v4} / {v6} | {implementation} | {Median(four.Select(b => b.TakeoverPath))} ms | {Median(six.Select(b => b.TakeoverPath))} ms | {Median(six.Select(b => b.VipUsable - b.DeathDeclared))} ms | {Outage(v4)} | {Outage(v6)} |\n");
            }
        }

        md.Append('\n');
    }

    /// <summary>What each step of the uplink and fenced-crash trials means, and why the comparison is fair.</summary>
    private static readonly Dictionary<string, string> StepNotes = new(StringComparer.Ordinal)
    {
        ["uplink"] = "The holder's uplink lost: each node has its heartbeat link and a public link to a gateway namespace that answers ping and is the client (it probes the VIP on the public side); the holder's public link is cut beyond its NIC (its port taken off the public switch: its link stays up, no carrier change), its heartbeat link stays. Ours and 3.0.6: the same ha.cf with `ping GW`, `deadping` = deadtime and `respawn hacluster …/ipfail` (ours: the built-in ipfail that line enables; 3.0.6: its real `/usr/libexec/heartbeat/ipfail`). keepalived: a `vrrp_script` pinging the gateway (one echo per keepalive, `interval` = keepalive, each run cut off at 0.9 × interval so none overlaps the next, `fall` = deadping ÷ interval) as `track_script` with `weight -100`, so the holder drops from 150 to 50, below the peer's 100, and the peer preempts. That is the fair equivalent of ipfail: both compare the two sides (both losing the gateway moves nothing; a script without a weight would put the holder in FAULT, and both nodes there would leave the VIP nowhere), and both see a cut anywhere on the way to the gateway, which `track_interface` would not (it sees only the node's own NIC). A cut that drops the node's own carrier (lab.sh's `uplink down`) is seen by keepalived at once through the VIP's interface, tracked by default: in one such trial it failed over in 0.62 s (`Netlink reports pub0 down`, FAULT), before its script had run; ours and 3.0.6 do not watch carriers. Steps, in ms from the cut: the holder declares the gateway dead (ours/3.0.6: `node GW: is dead`; keepalived: `VRRP_Script(chk_gw) failed`), decides to give up (ipfail: `Giving up because …`; keepalived: its priority lowered), gives up (ipfail: `giveup() called`, the standby request; keepalived: the holder entering BACKUP after the peer preempted), the VIP removed from the holder and added on the other node (`ip -ts monitor address` in each), the other node's first gratuitous ARP on its public link (tcpdump), the client's first answer from it. Log lines are stamped when they appear in the file (polled every 2 ms).",
        ["crash-kill-fence"] = "The holder killed with its VIP gone (as crash-kill), with `stonith_host * external/…` on both nodes: the integration tests' device, whose reset records the UTC time and powers the victim's namespace off. keepalived has no fencing: not run. Steps, in ms from the kill: the survivor declares the holder dead (`node X: is dead`), announces a contender delay (ours only), starts the reset (`Resetting node X with […]`), the device's reset (its record), the survivor logs the reset done (`node X now reset.`), the VIP on its interface, its first gratuitous ARP, the client's first answer. Ours resets at once only when it ranks first (it holds more groups than the dead node did, or as many and its name sorts first); the survivor of a killed holder holds nothing, so it ranks second and waits the contender delay (`--stonith-delay`, 15 s by default) before its reset: it cannot tell a dead holder from a live one cut off by a split brain, where that delay is what lets the holder's reset land first and keeps the service in place. 3.0.6 resets at once (and duels in a split brain).",
    };

    /// <summary>The uplink and fenced-crash trials step by step: medians of each step per implementation.</summary>
    private static void StepByStep(StringBuilder md, IReadOnlyList<TrialResult> results)
    {
        foreach (string scenario in Scenarios(results).Where(sc => results.Any(r => r.Scenario == sc && r.Steps is not null)))
        {
            var withSteps = results.Where(r => r.Ok && r.Scenario == scenario && r.Steps is not null).ToList();
            var names = withSteps.SelectMany(r => r.Steps!).Select(x => x.Name).Distinct().ToList();
            md.Append(C, $"## Step by step: {scenario}\n\n{(StepNotes.TryGetValue(scenario, out string? note) ? note + "\n\n" : string.Empty)}");
            md.Append("Medians of the successful trials (n/a: no evidence of that step), and the client's outage.\n\n");
            md.Append("| implementation | trials | " + string.Join(" | ", names.Select(n => "→ " + n)) + " | outage |\n|---|---|" + string.Concat(names.Select(_ => "---|")) + "---|\n");
            foreach (string implementation in Implementations(results).Where(i => withSteps.Any(r => r.Implementation == i)))
            {
                var trials = withSteps.Where(r => r.Implementation == implementation).ToList();
                md.Append(C, $"| {implementation} | {trials.Count} | ");
                foreach (string name in names)
                {
                    md.Append(Median(trials.Select(r => r.Steps!.FirstOrDefault(x => x.Name == name)?.Milliseconds))).Append(" | ");
                }

                md.Append(C, $"{MedianOutage(results, scenario, implementation):F0} ms |\n");
            }

            md.Append('\n');
        }
    }

    /// <summary>The takeover path per trial: death declared (ours: its own stamp; others: their log line) → first ARP on the wire.</summary>
    private static double[] TakeoverPaths(IEnumerable<Breakdown> breakdowns) =>
        [.. breakdowns.Select(b => b.TakeoverPath).Where(v => v is not null).Select(v => v!.Value).Order()];

    private static void Partitions(StringBuilder md, IReadOnlyList<TrialResult> results)
    {
        var heals = results.Where(r => r.Ok && r.SingleHolderAfterMilliseconds is not null).ToList();
        if (heals.Count == 0)
        {
            return;
        }

        md.Append("## Partition and heal\n\nThe holder's links are cut until the peer answers the client, then restored. From the heal: the client's longest outage, the time until one node alone holds the VIP for good, and whether a daemon restarted itself.\n\n");
        md.Append("| implementation | trials | outage median (max) | single holder after, median (max) | restarts |\n|---|---|---|---|---|\n");
        foreach (var implementation in heals.Select(r => r.Implementation).Distinct())
        {
            var h = heals.Where(r => r.Implementation == implementation).ToList();
            var outage = h.Select(r => r.OutageMilliseconds).Order().ToArray();
            var single = h.Select(r => r.SingleHolderAfterMilliseconds!.Value).Order().ToArray();
            md.Append(C, $"| {implementation} | {h.Count} | {Percentile(outage, 0.5):F0} ms ({outage[^1]:F0}) | {Percentile(single, 0.5):F0} ms ({single[^1]:F0}) | {h.Count(r => r.Restarted)} of {h.Count} |\n");
        }

        md.Append('\n');
    }

    /// <summary>The issue's "done when" figures that this run can decide, each with the numbers behind it.</summary>
    private static void Targets(StringBuilder md, IReadOnlyList<TrialResult> results)
    {
        md.Append("## Targets\n\n");
        var lines = new List<string>();
        // The ≤ 2 ms target is IPv4's path; an IPv6 takeover waits out DAD by design (its own section above).
        var ourPaths = TakeoverPaths(results.Where(r => r.Ok && r.Implementation == "ours" && r.Breakdown is not null && !r.Scenario.EndsWith('6')).Select(r => r.Breakdown!));
        var realPaths = TakeoverPaths(results.Where(r => r.Ok && r.Implementation == "real" && r.Breakdown is not null && !r.Scenario.EndsWith('6')).Select(r => r.Breakdown!));
        if (ourPaths.Length > 0)
        {
            double ours = Percentile(ourPaths, 0.5);
            string vsReal = realPaths.Length > 0 ? string.Create(C, $", 3.0.6 {Percentile(realPaths, 0.5):F1} ms (ratio 1/{Percentile(realPaths, 0.5) / ours:F0}, target ≤ 1/50)") : string.Empty;
            lines.Add(Check(ours <= 2 && (realPaths.Length == 0 || ours <= Percentile(realPaths, 0.5) / 50), string.Create(C, $"takeover path (death declared → first ARP) median {ours:F3} ms (target ≤ 2 ms){vsReal}")));
        }

        foreach (string crash in (string[])["crash-cut", "crash-kill"])
        {
            if (Spread(results, crash, "ours") is { } oursSpread && Spread(results, crash, "real") is { } realSpread)
            {
                double ours = MedianOutage(results, crash, "ours")!.Value;
                double real = MedianOutage(results, crash, "real")!.Value;
                lines.Add(Check(ours <= real && oursSpread < realSpread, string.Create(C, $"{crash}: outage median {ours:F0} ms ≤ 3.0.6's {real:F0} ms, spread {oursSpread:F0} ms < {realSpread:F0} ms")));
            }
        }

        foreach (string planned in (string[])["graceful", "standby", "failback"])
        {
            if (MedianOutage(results, planned, "ours") is { } ours && MedianOutage(results, planned, "real") is { } real)
            {
                var keepalived = MedianOutage(results, planned, "keepalived");
                bool ok = ours <= real / 5 && (keepalived is null || ours <= keepalived);
                lines.Add(Check(ok, string.Create(C, $"{planned}: outage median {ours:F0} ms ≤ keepalived's {(keepalived is { } k ? k.ToString("F0", C) + " ms" : "n/a")} and ≤ 1/5 of 3.0.6's {real:F0} ms")));
            }
        }

        if (MedianOutage(results, "uplink", "ours") is { } uplink && MedianOutage(results, "uplink", "real") is { } realUplink)
        {
            var keepalived = MedianOutage(results, "uplink", "keepalived");
            bool shortest = uplink < realUplink && (keepalived is null || uplink <= keepalived);
            lines.Add(Check(shortest, string.Create(C, $"uplink: outage median {uplink:F0} ms the shortest (keepalived {(keepalived is { } k ? k.ToString("F0", C) + " ms" : "n/a")}) and below 3.0.6's {realUplink:F0} ms by {realUplink - uplink:F0} ms (ratio {uplink / realUplink:F2}; ours too waits ipfail's delayed giveup, 2 × keepalive, in which the peer's \"balanced\" may still abort it)")));
        }

        if (MedianOutage(results, "partition", "ours") is { } heal && MedianOutage(results, "partition", "real") is { } realHeal)
        {
            lines.Add(Check(heal <= realHeal / 10, string.Create(C, $"partition heal: outage median {heal:F0} ms ≤ 1/10 of 3.0.6's {realHeal:F0} ms")));
        }

        md.Append(lines.Count == 0 ? "(none decidable from these scenarios)\n" : string.Join("\n", lines) + "\n");
    }

    private static string Check(bool met, string text) => $"- {(met ? "met" : "NOT met")}: {text}";

    private static double? MedianOutage(IReadOnlyList<TrialResult> results, string scenario, string implementation) =>
        Ok(results, scenario, implementation).Select(r => r.OutageMilliseconds).Order().ToArray() is { Length: > 0 } v ? Percentile(v, 0.5) : null;

    private static double? Spread(IReadOnlyList<TrialResult> results, string scenario, string implementation) =>
        Ok(results, scenario, implementation).Select(r => r.OutageMilliseconds).ToArray() is { Length: > 0 } v ? v.Max() - v.Min() : null;

    private static string Median(IEnumerable<double?> values) =>
        values.Where(v => v is not null).Select(v => v!.Value).Order().ToArray() is { Length: > 0 } sorted ? Percentile(sorted, 0.5).ToString("F1", C) : "n/a";

    public static double Percentile(double[] sorted, double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];

    /// <summary>outages.png with gnuplot: every trial's outage as a point, per scenario and implementation (log scale).</summary>
    private static bool Chart(string output, IReadOnlyList<TrialResult> results)
    {
        var scenarios = Scenarios(results).ToList();
        var implementations = Implementations(results).ToList();
        var data = new StringBuilder();
        foreach (var r in results.Where(r => r.Ok))
        {
            int s = scenarios.IndexOf(r.Scenario);
            int i = implementations.IndexOf(r.Implementation);
            double x = s * (implementations.Count + 1) + i + 1;

            // Zero outages (make-before-break) are drawn at 1 ms so a log scale can show them.
            data.Append(C, $"{i} {x} {Math.Max(1, r.OutageMilliseconds)}\n");
        }

        string dataPath = Path.Join(output, "outages.dat");
        File.WriteAllText(dataPath, data.ToString());
        string tics = string.Join(", ", scenarios.Select((s, k) => string.Create(C, $"\"{s}\" {k * (implementations.Count + 1) + (implementations.Count + 1) / 2.0}")));
        string plots = string.Join(", ", implementations.Select((impl, i) => $"'{dataPath}' using ($1=={i} ? $2 : 1/0):3 with points pt 7 ps 0.6 title '{impl}'"));
        string script = $"""
            set terminal pngcairo size 1100,500
            set output '{Path.Join(output, "outages.png")}'
            set ylabel 'client outage (ms; 0 drawn at 1)'
            set logscale y
            set yrange [0.5:*]
            set xrange [0:{scenarios.Count * (implementations.Count + 1)}]
            set xtics ({tics})
            set grid ytics
            plot {plots}
            """;
        try
        {
            var (code, _, _) = Heartbeat.Integration.Tests.Support.Processes.Run(["gnuplot", "-e", script.Replace('\n', ';')], TimeSpan.FromSeconds(60));
            return code == 0 && File.Exists(Path.Join(output, "outages.png"));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no gnuplot: the report goes without its chart
        }
    }
}
