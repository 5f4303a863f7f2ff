using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench;

/// <summary>One timer setting held (or not) under load for a window.</summary>
public sealed record StabilityResult(string Implementation, string Setting, int KeepaliveMilliseconds, int DeadtimeMilliseconds, double WindowSeconds, int FalseDeaths, string Phase, string? Problem);

/// <summary>
/// The fastest stable setting of each implementation: pairs at ever shorter timers, one implementation at a time (see
/// <see cref="RunEachAlone"/>), while stress-ng keeps both cores busy; a setting is stable when the window passes without a false death
/// (heartbeat: "node …: is dead" in either log; keepalived: the backup entering MASTER). The search uses a short
/// window per level; the fastest level found is then confirmed over the long window (10 minutes by default), stepping
/// back a level if it fails.
/// </summary>
public static partial class Stability
{
    /// <summary>keepalive / deadtime ladders (ms); keepalived's advert interval, failover after 3 adverts.</summary>
    private static readonly (int Keepalive, int Deadtime)[] HeartbeatLadder = [(1000, 3000), (500, 1500), (250, 1000), (200, 600), (100, 400), (50, 200), (20, 100), (10, 50), (5, 25), (3, 12), (2, 10)];
    private static readonly int[] KeepalivedLadder = [1000, 500, 250, 100, 50, 20, 10];

    /// <summary>
    /// The search (from the first level whose keepalive is at most <c>--keepalive</c>, so a run can start where an
    /// earlier one left off), then the confirmation; returns every window and the confirmed level of each implementation.
    /// </summary>
    public static (IReadOnlyList<StabilityResult> Results, IReadOnlyDictionary<Implementation, int> Confirmed) Run(BenchOptions options, TimeSpan searchWindow, TimeSpan confirmWindow)
    {
        var results = new List<StabilityResult>();
        var fastest = options.Implementations.ToDictionary(i => i, _ => -1);
        var searching = options.Implementations.ToHashSet();
        for (int level = 0; searching.Count > 0; level++)
        {
            var round = searching.Where(i => level < LadderLength(i) && Setting(i, level).Keepalive <= options.KeepaliveMilliseconds).ToList();
            if (round.Count == 0 && searching.Any(i => level < LadderLength(i)))
            {
                continue;
            }

            if (round.Count == 0)
            {
                break;
            }

            var outcomes = RunEachAlone(options, round.Select(i => (i, level)).ToList(), searchWindow, "search");
            foreach (var outcome in outcomes)
            {
                results.Add(outcome);
                Console.WriteLine(Describe(outcome));
                var implementation = Enum.Parse<Implementation>(outcome.Implementation, ignoreCase: true);
                if (outcome.FalseDeaths == 0 && outcome.Problem is null)
                {
                    fastest[implementation] = level;
                }
                else
                {
                    searching.Remove(implementation);
                }
            }

            searching.RemoveWhere(i => level + 1 >= LadderLength(i));
        }

        // Confirmation over the long window; a failure steps back one level (at most twice).
        var confirmed = new Dictionary<Implementation, int>();
        var confirming = fastest.Where(f => f.Value >= 0).ToDictionary(f => f.Key, f => f.Value);
        for (int attempt = 0; attempt < 3 && confirming.Count > 0; attempt++)
        {
            var outcomes = RunEachAlone(options, [.. confirming.Select(c => (c.Key, c.Value))], confirmWindow, "confirm");
            var next = new Dictionary<Implementation, int>();
            foreach (var outcome in outcomes)
            {
                results.Add(outcome);
                Console.WriteLine(Describe(outcome));
                var implementation = Enum.Parse<Implementation>(outcome.Implementation, ignoreCase: true);
                if ((outcome.FalseDeaths > 0 || outcome.Problem is not null) && confirming[implementation] > 0)
                {
                    next[implementation] = confirming[implementation] - 1;
                }
                else if (outcome.FalseDeaths == 0 && outcome.Problem is null)
                {
                    confirmed[implementation] = confirming[implementation];
                }
            }

            confirming = next;
        }

        return (results, confirmed);
    }

    /// <summary>
    /// Crash trials (SIGKILL, addresses removed) with ours and keepalived each at its own confirmed fastest setting, in
    /// alternation: what the fastest timers buy a client (3.0.6 is compared by its fastest deadtime; its outage at
    /// fast timers is dominated by its script chain, measured in the main report).
    /// </summary>
    public static async Task<IReadOnlyList<TrialResult>> CrashAtFastestAsync(BenchOptions options, IReadOnlyDictionary<Implementation, int> confirmed)
    {
        var results = new List<TrialResult>();
        for (int trial = 1; trial <= options.FastestTrials; trial++)
        {
            foreach (var (implementation, level) in confirmed.Where(c => c.Key != Implementation.Real).OrderBy(c => c.Key))
            {
                var (keepalive, deadtime, text) = Setting(implementation, level);
                var at = options with { KeepaliveMilliseconds = keepalive, DeadtimeSeconds = Math.Max(1, deadtime / 1000), DeadtimeMilliseconds = deadtime };
                var result = await Trials.RunAsync(implementation, Scenario.CrashKilled, trial, at).ConfigureAwait(false);
                result = result with { Scenario = "crash-kill at " + text };
                results.Add(result);
                Console.WriteLine(result.Describe());
            }
        }

        return results;
    }

    public static void Write(BenchOptions options, IReadOnlyList<StabilityResult> results, IReadOnlyList<TrialResult> crashes)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(c, $"# Fastest stable settings, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n");
        md.Append(c, $"Pairs of each implementation at ever shorter timers on this {Environment.ProcessorCount}-core machine, one implementation at a time (realtime daemons of the same SCHED_FIFO priority side by side would delay each other's heartbeats: not a load a cluster node sees), while `stress-ng --cpu {Environment.ProcessorCount}` loads every core. {(Lab.Realtime ? "Both heartbeat implementations run with their default realtime scheduling (no `-l`; HBNET_REALTIME=1)" : "Both heartbeat implementations run with `-l` (normal scheduling), as the lab starts 3.0.6")}. A false death: \"is dead\" in either heartbeat log, or keepalived's backup entering MASTER. Search windows first, then the fastest level found confirmed over the long window.\n\n");
        md.Append("| implementation | setting | phase | window | false deaths |\n|---|---|---|---|---|\n");
        foreach (var r in results)
        {
            md.Append(c, $"| {r.Implementation} | {r.Setting} | {r.Phase} | {r.WindowSeconds:F0} s | {(r.Problem is { } p ? "failed: " + p : r.FalseDeaths.ToString(c))} |\n");
        }

        md.Append("\nFastest stable (confirmed): ");
        var confirmed = results.Where(r => r.Phase == "confirm" && r.FalseDeaths == 0 && r.Problem is null).ToList();
        md.Append(confirmed.Count == 0 ? "none confirmed" : string.Join("; ", confirmed.Select(r => $"{r.Implementation} {r.Setting}")));
        if (confirmed.FirstOrDefault(r => r.Implementation == "ours") is { } ours && confirmed.FirstOrDefault(r => r.Implementation == "real") is { } real)
        {
            md.Append(c, $"\n\nDeadtime ours ÷ 3.0.6: {ours.DeadtimeMilliseconds} ms ÷ {real.DeadtimeMilliseconds} ms = 1/{(double)real.DeadtimeMilliseconds / ours.DeadtimeMilliseconds:F1} (target ≤ 1/4)");
        }

        if (crashes.Count > 0)
        {
            md.Append(c, $"\n\n## Crash outage at each implementation's fastest stable setting\n\nThe holder SIGKILLed and its addresses removed, {options.FastestTrials} trials each for ours and keepalived in alternation, each at its own confirmed setting; a client connects to the VIP every 10 ms (no stress-ng here).\n\n");
            md.Append("| implementation | setting | trials ok | min | median | p90 | max | spread |\n|---|---|---|---|---|---|---|---|\n");
            var medians = new Dictionary<string, double>();
            foreach (var group in crashes.GroupBy(r => (r.Implementation, r.Scenario)))
            {
                var ok = group.Where(r => r.Ok).Select(r => r.OutageMilliseconds).Order().ToArray();
                if (ok.Length == 0)
                {
                    md.Append(c, $"| {group.Key.Implementation} | {group.Key.Scenario["crash-kill at ".Length..]} | 0/{group.Count()} | | | | | |\n");
                    continue;
                }

                double median = Report.Percentile(ok, 0.5);
                medians[group.Key.Implementation] = median;
                md.Append(c, $"| {group.Key.Implementation} | {group.Key.Scenario["crash-kill at ".Length..]} | {ok.Length}/{group.Count()} | {ok[0]:F0} ms | {median:F0} ms | {Report.Percentile(ok, 0.9):F0} ms | {ok[^1]:F0} ms | {ok[^1] - ok[0]:F0} ms |\n");
            }

            // At these timers the outage is two or three probe intervals, so it is also read from the survivor's
            // wire: the victim's last heartbeat (VRRP advert) → death declared → first ARP → the client's first answer.
            md.Append("\nFrom the victim's last heartbeat on the survivor's wire (medians; the client probes every 10 ms, so the outage column above resolves no better than that):\n\n| implementation | → dead | → first ARP | → client answers |\n|---|---|---|---|\n");
            var clientBack = new Dictionary<string, double>();
            foreach (var group in crashes.Where(r => r.Ok && r.Breakdown is not null).GroupBy(r => r.Implementation))
            {
                static string Median(IEnumerable<double?> values) => values.OfType<double>().Order().ToArray() is { Length: > 0 } sorted
                    ? Report.Percentile(sorted, 0.5).ToString("F1", CultureInfo.InvariantCulture) + " ms"
                    : "n/a";
                var back = group.Select(r => r.Breakdown!.ClientBack).OfType<double>().Order().ToArray();
                if (back.Length > 0)
                {
                    clientBack[group.Key] = Report.Percentile(back, 0.5);
                }

                md.Append(c, $"| {group.Key} | {Median(group.Select(r => r.Breakdown!.DeathDeclared))} | {Median(group.Select(r => r.Breakdown!.FirstArp))} | {Median(group.Select(r => r.Breakdown!.ClientBack))} |\n");
            }

            if (medians.TryGetValue("ours", out double oursMedian) && medians.TryGetValue("keepalived", out double keepalivedMedian))
            {
                md.Append(c, $"\n{(oursMedian <= keepalivedMedian ? "met" : "NOT met")}: client outage at the fastest setting, ours {oursMedian:F0} ms ≤ keepalived's {keepalivedMedian:F0} ms (median)\n");
            }

            if (clientBack.TryGetValue("ours", out double oursBack) && clientBack.TryGetValue("keepalived", out double keepalivedBack))
            {
                md.Append(c, $"\n{(oursBack <= keepalivedBack ? "met" : "NOT met")}: last heartbeat → client answers at the fastest setting, ours {oursBack:F1} ms ≤ keepalived's {keepalivedBack:F1} ms (median)\n");
            }

            File.WriteAllText(Path.Join(options.Output, "fastest-crash.json"), System.Text.Json.JsonSerializer.Serialize(crashes, BenchJson.Default.IReadOnlyListTrialResult));
        }

        md.Append('\n');
        File.WriteAllText(Path.Join(options.Output, "stability.md"), md.ToString());
        Console.Write(md.ToString());
    }

    /// <summary>The setting of one implementation at one ladder level, as options for its pair.</summary>
    public static (int Keepalive, int Deadtime, string Text) Setting(Implementation implementation, int level)
    {
        if (implementation == Implementation.Keepalived)
        {
            int advert = KeepalivedLadder[level];
            return (advert, advert * 3, string.Create(CultureInfo.InvariantCulture, $"advert_int {advert / 1000.0:0.###} s (failover ~{advert * 3} ms)"));
        }

        var (keepalive, deadtime) = HeartbeatLadder[level];
        return (keepalive, deadtime, string.Create(CultureInfo.InvariantCulture, $"keepalive {keepalive} ms / deadtime {deadtime} ms"));
    }

    private static int LadderLength(Implementation implementation) => implementation == Implementation.Keepalived ? KeepalivedLadder.Length : HeartbeatLadder.Length;

    private static string Describe(StabilityResult r) =>
        string.Create(CultureInfo.InvariantCulture, $"stability {r.Phase,-7} {r.Implementation,-10} {r.Setting,-40} {r.WindowSeconds,4:F0} s: {(r.Problem is { } p ? "FAILED " + p : $"{r.FalseDeaths} false deaths")}");

    /// <summary>
    /// The implementations of a round one after another, each pair alone with stress-ng. Not side by side: 3.0.6 and ours
    /// both run SCHED_FIFO at priority 1 by default, and a FIFO thread is never preempted by another of the same
    /// priority, so one implementation's busy realtime processes (3.0.6 spends milliseconds of CPU per packet) delay
    /// the other's keepalives by whole milliseconds — a competitor no user runs on a cluster node, and one that would
    /// blame each implementation for the other's appetite.
    /// </summary>
    private static List<StabilityResult> RunEachAlone(BenchOptions options, List<(Implementation Implementation, int Level)> round, TimeSpan window, string phase) =>
        [.. round.Select(entry => RunLevel(options, entry.Implementation, entry.Level, window, phase))];

    /// <summary>One implementation's pair at one level: started and placed, then stress-ng for the window, then its false deaths counted.</summary>
    private static StabilityResult RunLevel(BenchOptions options, Implementation implementation, int level, TimeSpan window, string phase)
    {
        var (keepalive, deadtime, text) = Setting(implementation, level);
        var lab = new Lab($"stable {implementation.ToString().ToLowerInvariant()} {level}")
        {
            Keepalive = TimeSpan.FromMilliseconds(keepalive),
            Deadtime = TimeSpan.FromMilliseconds(deadtime),
            DeadtimeSeconds = Math.Max(1, deadtime / 1000),
            Warntime = TimeSpan.FromMilliseconds((keepalive + deadtime) / 2),
            InitdeadSeconds = Math.Max(2, 2 * deadtime / 1000 + 1),
            AutoFailback = "on",
            Haresources = $"server1 IPaddr2::{Trials.Vip}/24/ens18\n",
        };
        IPair? pair = null;
        try
        {
            var nodes = lab.Declare(implementation == Implementation.Real, implementation == Implementation.Real);
            pair = implementation == Implementation.Keepalived ? new KeepalivedPair(lab, options with { KeepaliveMilliseconds = keepalive }) : new HeartbeatPair(lab);
            pair.Start(nodes[0]);
            pair.Start(nodes[1]);

            // Placed, then a few seconds past every start-up effect.
            bool placed = Lab.WaitUntil(() => lab.HasAddress(nodes[0], Trials.Vip) && !lab.HasAddress(nodes[1], Trials.Vip), TimeSpan.FromSeconds(90));
            Thread.Sleep(8000);
            int before = FalseDeaths(implementation, nodes);
            using (var stress = Stress(window))
            {
                Thread.Sleep(window);
                stress.WaitForExit(30_000);
            }

            int deaths = FalseDeaths(implementation, nodes) - before;
            return new StabilityResult(implementation.ToString().ToLowerInvariant(), text, keepalive, deadtime, window.TotalSeconds, deaths, phase, placed ? null : "server1 never held the VIP alone");
        }
        finally
        {
            pair?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            lab.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static int FalseDeaths(Implementation implementation, LabNode[] nodes) => implementation == Implementation.Keepalived
        ? MasterEntries().Count(File.Exists(KeepalivedPair.LogPath(nodes[1])) ? Heartbeat.Integration.Tests.Support.LabNode.ReadShared(KeepalivedPair.LogPath(nodes[1])) : string.Empty)
        : nodes.Sum(n => DeathLines().Count(n.Log()));

    private static Process Stress(TimeSpan window)
    {
        var info = new ProcessStartInfo("stress-ng") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["--cpu", "0", "--timeout", ((int)window.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s", "--quiet"])
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("stress-ng did not start");
    }

    [GeneratedRegex(@"node \S+: is dead")]
    private static partial Regex DeathLines();

    [GeneratedRegex("Entering MASTER STATE")]
    private static partial Regex MasterEntries();
}
