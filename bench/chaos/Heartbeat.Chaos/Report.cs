using System.Globalization;
using System.Text;

namespace Heartbeat.Chaos;

/// <summary>report.md of a campaign: the rules, the runs, fault counts per kind and pairing, outages per kind, violations.</summary>
public static class Report
{
    public static string Markdown(int seed, double minutes, string? pairing, IReadOnlyList<RunResult> runs, Timers timers)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        int violations = runs.Sum(r => r.Violations.Count);
        double campaigned = runs.Sum(r => r.Seconds) / 60;
        md.Append(c, $"# Chaos campaign, seed {seed}\n\n");
        md.Append(c, $"`bash bench/chaos/run.sh --minutes {minutes} --seed {seed}{(pairing is null ? string.Empty : " --pairing " + pairing)}` replays it.\n\n");
        md.Append(c, $"{runs.Count} runs, {campaigned:F1} minutes, {runs.Sum(r => r.Faults.Count)} faults, **{violations} violations** (3.0.6's own, not counted: {runs.Sum(r => r.Reference.Count)})");
        md.Append(c, $"{(runs.Any(r => r.Error is not null) ? ", " + runs.Count(r => r.Error is not null) + " runs ended by a lab error" : string.Empty)}.\n\n");
        md.Append(c, $"Timers: keepalive {timers.Keepalive.TotalMilliseconds:F0} ms, deadtime {timers.Deadtime.TotalSeconds:F0} s, warntime {timers.Warntime.TotalSeconds:F0} s, initdead {timers.InitdeadSeconds} s; two media (bcast on ens18 and ens19).\n\n");
        md.Append(Rules);
        md.Append("\n## Runs\n\nevidence: datagrams received / address changes / client attempts / pid changes / counting-script lines.\n\n| run | pairing | auto_failback | VIPs | faults | minutes | evidence | violations | 3.0.6's | note |\n|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var run in runs)
        {
            md.Append(c, $"| {run.Plan.Index} | {Planner.Name(run.Plan.Pairing)} | {(run.Plan.AutoFailback ? "on" : "off")} | {run.Plan.VipCount} | {run.Faults.Count}/{run.Plan.Faults.Count} | {run.Seconds / 60:F1} | {run.EvidenceCounts} | {run.Violations.Count} | {run.Reference.Count} | {FirstLine(run.Error)} |\n");
        }

        var pairings = runs.Select(r => r.Plan.Pairing).Distinct().Order().ToList();
        md.Append("\n## Faults per kind and pairing\n\n| fault | " + string.Join(" | ", pairings.Select(Planner.Name)) + " | total |\n|---|" + string.Concat(pairings.Select(_ => "---|")) + "---|\n");
        foreach (var kind in Enum.GetValues<FaultKind>())
        {
            var counts = pairings.Select(p => runs.Where(r => r.Plan.Pairing == p).Sum(r => r.Faults.Count(f => f.Kind == kind))).ToList();
            md.Append(c, $"| {kind} | {string.Join(" | ", counts)} | {counts.Sum()} |\n");
        }

        md.Append("\n## Client outage per fault kind (pairs)\n\nThe longest run of failed connections to any VIP that began between the fault and the end of its quiet window, from the last answer before it to the first after; 0 when the client never missed.\n\n");
        md.Append("| fault | n | min ms | median ms | p90 ms | max ms |\n|---|---|---|---|---|---|\n");
        foreach (var kind in Enum.GetValues<FaultKind>())
        {
            var outages = runs.Where(r => r.Plan.VipCount > 0)
                .SelectMany(r => r.Faults.Where(f => f.Kind == kind).Select(f => r.Outages.TryGetValue(f.Index, out double s) ? s * 1000 : 0))
                .Order()
                .ToList();
            if (outages.Count > 0)
            {
                md.Append(c, $"| {kind} | {outages.Count} | {outages[0]:F0} | {Quantile(outages, 0.5):F0} | {Quantile(outages, 0.9):F0} | {outages[^1]:F0} |\n");
            }
        }

        md.Append("\n## Violations\n\n");
        if (violations == 0)
        {
            md.Append("None.\n");
        }

        List(md, runs, r => r.Violations);
        int reference = runs.Sum(r => r.Reference.Count);
        md.Append(c, $"\n## 3.0.6's own ({reference}, not counted)\n\nViolations whose culprit is the real 3.0.6 node (the holder that acquired against the resource exchange's messages, the node gone silent): the reference's behaviour, e.g. its restart after a healed split brain, in which it first finishes taking the group over.\n\n");
        List(md, runs, r => r.Reference);
        return md.ToString();
    }

    private static void List(StringBuilder md, IReadOnlyList<RunResult> runs, Func<RunResult, IReadOnlyList<Violation>> which)
    {
        var c = CultureInfo.InvariantCulture;
        foreach (var run in runs.Where(r => which(r).Count > 0))
        {
            double origin = run.Faults.Count > 0 ? run.Faults[0].Begin : 0;
            foreach (var v in which(run))
            {
                var during = run.Faults.LastOrDefault(f => f.Begin <= v.At);
                md.Append(c, $"- run {run.Plan.Index} ({Planner.Name(run.Plan.Pairing)}), {v.Rule} at +{v.At - origin:F3} s, {v.Node} (culprit {v.Culprit}): {v.Detail}{(during is null ? string.Empty : $" (during or after fault #{during.Index} {during.Kind} on {during.Node}: {during.Detail})")}\n");
            }
        }
    }

    /// <summary>The rules as the checker applies them (Checker, CheckRules).</summary>
    public const string Rules = """
        ## What the checker checks

        Evidence only from outside the daemons: `ip -ts monitor address` in every node's namespace, tcpdump of the Heartbeat
        datagrams arriving on every node's interfaces (faults act in the bridges or on the sender, so a captured datagram
        was really received), a client connecting to every VIP every 10 ms, the daemons' pids in /proc (100 ms), and the
        counting resource script's own file on each node. Per run:

        1. **double-holder**: a VIP (or the counting resource) held by two nodes for longer than a grace — the group's
           stop time (0.5 s per VIP + 0.5 s) + 1 s margin — within a stretch when the two have heard each other: each
           received the other's heartbeats continuously (either medium, no two arrivals more than 2 × keepalive apart,
           both directions at once) for at least one keepalive.
        2. **no-holder**: a VIP without a holder at heal + deadtime + the group's start time (1 s per VIP + 0.5 s) + 1 s
           after a fault, a gap that began before heal + deadtime and is still open then, or a later gap in the quiet
           window longer than a handover (stop + start + 1 s).
        3. **died**: a daemon's pid gone or changed outside a kill or graceful stop of that node (begin − 1 s to heal + 20 s).
        4. **started-twice**: the counting script's start called on a node where it already runs (started, and neither
           stopped nor powered off since).
        5. **not-heard**: two nodes that have not heard each other again one keepalive before the end of a fault's quiet window.

        Each violation names a culprit: of two holders, the one that acquired against the captured resource exchange (the
        peer's last word was that it held the group, or its own that it gave it up; not one that acquired after the peer's
        standby request, release "done", shutdown or start, or after agreeing to take it; a word followed by more than
        deadtime of the peer's silence does not count), else the later of the two; the
        node gone silent, the node whose daemon died or started twice. Those whose culprit is a real 3.0.6 node are listed apart as 3.0.6's own and are not counted.

        """;

    internal static double Quantile(List<double> sorted, double q) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(q * sorted.Count) - 1)];

    private static string FirstLine(string? text) => text is null ? string.Empty : text.Split('\n')[0].Replace('|', '/');
}
