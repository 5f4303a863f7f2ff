using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Heartbeat.Bench;

/// <summary>
/// The failover benchmark: for each scenario, N trials, each trial running every implementation once in alternation
/// (so a noisy machine hurts all of them alike), each in a fresh lab with identical ha.cf/authkeys/haresources (or the
/// equivalent keepalived VRRP instance), while a client connects to the VIP every 10 ms. Writes report.md,
/// results.json and (with gnuplot) outages.png into the output directory.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = BenchOptions.Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }

        Directory.CreateDirectory(options.Output);
        if (options.RewriteReport && options.ScaleKinds.Count > 0)
        {
            // The scale report written again from its results.json (and before.json, if any).
            var points = JsonSerializer.Deserialize(File.ReadAllText(Path.Join(options.Output, "results.json")), BenchJson.Default.IReadOnlyListScaleResult) ?? [];
            ScaleReport.Write(options.Output, options, points);
            return 0;
        }

        if (options.RewriteReport)
        {
            // The report of a finished run written again from its results.json (after a change to the report only).
            var recorded = JsonSerializer.Deserialize(File.ReadAllText(Path.Join(options.Output, "results.json")), BenchJson.Default.IReadOnlyListTrialResult) ?? [];
            Report.Write(options with { Trials = recorded.Select(r => r.Trial).DefaultIfEmpty(0).Max() }, recorded);
            return 0;
        }

        if (options.ScaleKinds.Count > 0)
        {
            // Several invocations (one per implementation or size, each under the netns lock for a bounded time) add
            // up to one report: a point measured again replaces the earlier one.
            string path = Path.Join(options.Output, "results.json");
            var earlier = File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), BenchJson.Default.IReadOnlyListScaleResult) ?? [] : [];
            var measured = Scale.Run(options);
            var merged = earlier.Where(e => !measured.Any(m => m.Implementation == e.Implementation && m.Kind == e.Kind && m.Size == e.Size)).Concat(measured).ToList();
            File.WriteAllText(path, JsonSerializer.Serialize<IReadOnlyList<ScaleResult>>(merged, BenchJson.Default.IReadOnlyListScaleResult));
            ScaleReport.Write(options.Output, options, merged);
            Console.WriteLine($"bench: {measured.Count} scale points; report in {options.Output}");
            return measured.All(r => r.Ok) ? 0 : 1;
        }

        var results = new List<TrialResult>();
        foreach (var scenario in options.Scenarios)
        {
            for (int trial = 1; trial <= options.Trials; trial++)
            {
                foreach (var implementation in options.Implementations)
                {
                    // keepalived has no fencing: the fenced crash is not run for it (the report says so).
                    if (scenario == Scenario.CrashKilledFenced && implementation == Implementation.Keepalived)
                    {
                        continue;
                    }

                    var result = scenario switch
                    {
                        Scenario.UplinkLost => await UplinkLost.RunAsync(implementation, trial, options).ConfigureAwait(false),
                        Scenario.CrashKilledFenced => await FencedCrash.RunAsync(implementation, trial, options).ConfigureAwait(false),
                        _ => await Trials.RunAsync(implementation, scenario, trial, options).ConfigureAwait(false),
                    };
                    results.Add(result);
                    Console.WriteLine(result.Describe());
                }
            }
        }

        if (results.Count > 0)
        {
            Report.Write(options, results);
            Console.WriteLine($"bench: {results.Count} trials; report in {options.Output}");
        }

        if (options.StabilitySeconds > 0)
        {
            var (stability, fastest) = Stability.Run(options, TimeSpan.FromSeconds(options.StabilitySeconds), TimeSpan.FromSeconds(options.ConfirmSeconds));
            var crashes = await Stability.CrashAtFastestAsync(options, fastest).ConfigureAwait(false);
            Stability.Write(options, stability, crashes);
        }

        bool footprintOk = true;
        if (options.FootprintSeconds > 0)
        {
            var footprint = await Footprint.MeasureAsync(options, TimeSpan.FromSeconds(options.FootprintSeconds), options.FootprintStarts).ConfigureAwait(false);
            Footprint.Write(options, footprint);
            footprintOk = footprint.All(f => f.Problem is null || (options.Smoke && f.Implementation != "ours"));
        }

        if (options.Smoke)
        {
            var ours = results.Where(r => r.Implementation == "ours").ToList();
            bool reported = File.Exists(Path.Join(options.Output, "report.md"));
            Console.WriteLine($"bench smoke: {ours.Count(r => r.Ok)}/{ours.Count} trials of ours ok, {results.Count(r => r.Implementation != "ours" && r.Ok)}/{results.Count(r => r.Implementation != "ours")} reference trials ok, report {(reported ? "written" : "missing")}");
            return reported && ours.Count > 0 && ours.All(r => r.Ok) && footprintOk ? 0 : 1;
        }

        return results.All(r => r.Ok) && footprintOk ? 0 : 1;
    }
}

public enum Implementation
{
    Ours,
    Real,
    Keepalived,
}

public enum Scenario
{
    /// <summary>The holder's links cut (it runs on, isolated).</summary>
    CrashLinksCut,

    /// <summary>The holder's daemon SIGKILLed and its addresses removed (a power-off).</summary>
    CrashKilled,

    /// <summary>The holder stopped gracefully (SIGTERM).</summary>
    GracefulStop,

    /// <summary>The VIP's home node returns after a crash and takes it back (auto_failback on / VRRP preempt).</summary>
    Failback,

    /// <summary>The operator hands the holder's resources to the peer (hb_standby / hbctl standby / priority down).</summary>
    Standby,

    /// <summary>The holder's links cut until the peer took over (both hold the VIP), then healed.</summary>
    PartitionHeal,

    /// <summary><see cref="CrashLinksCut"/> with an IPv6 VIP: the takeover ends in neighbour advertisements, after DAD.</summary>
    CrashLinksCut6,

    /// <summary><see cref="CrashKilled"/> with an IPv6 VIP.</summary>
    CrashKilled6,

    /// <summary>
    /// The holder's public link cut (its heartbeat link stays): ping node + ipfail (keepalived: a track_script pinging
    /// the gateway) must move the VIP to the node that still reaches the gateway.
    /// </summary>
    UplinkLost,

    /// <summary><see cref="CrashKilled"/> with <c>stonith_host *</c>: the survivor resets the dead holder before it takes over.</summary>
    CrashKilledFenced,
}

/// <summary>One trial: the client's longest outage and the longest time both nodes held the VIP.</summary>
public sealed record TrialResult(string Implementation, string Scenario, int Trial, bool Ok, double OutageMilliseconds, double DoubleHoldMilliseconds, string? Problem)
{
    /// <summary>Crash scenarios: where the takeover's time went (null for the others).</summary>
    public Breakdown? Breakdown { get; init; }

    /// <summary>Partition and heal: from the heal until one node alone held the VIP for good.</summary>
    public double? SingleHolderAfterMilliseconds { get; init; }

    /// <summary>Partition and heal: whether a daemon restarted itself.</summary>
    public bool Restarted { get; init; }

    /// <summary>Uplink and fenced crash: each step in milliseconds from the fault (null: no evidence of it).</summary>
    public IReadOnlyList<Step>? Steps { get; init; }

    public string Describe() => Ok
        ? string.Create(CultureInfo.InvariantCulture, $"{Scenario,-14} #{Trial,-3} {Implementation,-10} outage {OutageMilliseconds,7:F0} ms, double hold {DoubleHoldMilliseconds,5:F0} ms{(SingleHolderAfterMilliseconds is { } single ? $", single holder after {single:F0} ms{(Restarted ? ", restarted" : string.Empty)}" : string.Empty)}{(Breakdown is { } b ? $"; from last heartbeat: dead {b.DeathDeclared:F1}, VIP {b.VipOnInterface:F1}, ARP {b.FirstArp:F1}, client {b.ClientBack:F1} ms; dead→ARP {b.TakeoverPath:F2} ms{(b.InProcess is { } p ? $" (in process {p:F3} ms)" : string.Empty)}" : string.Empty)}{(Steps is { } steps ? "; from the fault: " + string.Join(", ", steps.Select(s => s.Milliseconds is { } ms ? $"{s.Name} {ms:F0}" : $"{s.Name} n/a")) + " ms" : string.Empty)}")
        : $"{Scenario,-14} #{Trial,-3} {Implementation,-10} FAILED: {Problem}";
}

/// <summary>One step of a trial: its name and when it happened, in milliseconds from the fault (null: not seen).</summary>
public sealed record Step(string Name, double? Milliseconds);

public sealed record BenchOptions(int Trials, IReadOnlyList<Scenario> Scenarios, IReadOnlyList<Implementation> Implementations, int KeepaliveMilliseconds, int DeadtimeSeconds, string Output)
{
    /// <summary>
    /// warntime: halfway between keepalive and deadtime, so that a heartbeat on time is never reported late (every
    /// implementation would log a warning per heartbeat otherwise, and pay for it in CPU).
    /// </summary>
    public TimeSpan Warntime => TimeSpan.FromMilliseconds((KeepaliveMilliseconds + EffectiveDeadtimeMilliseconds) / 2);

    /// <summary>A deadtime in milliseconds (sub-second timers: <c>--deadtime 0.025</c>, the fastest settings); null: whole seconds.</summary>
    public int? DeadtimeMilliseconds { get; init; }

    public int EffectiveDeadtimeMilliseconds => DeadtimeMilliseconds ?? DeadtimeSeconds * 1000;

    /// <summary>Crash (SIGKILL) trials per implementation at its confirmed fastest stable setting, after the stability search.</summary>
    public int FastestTrials { get; init; } = 20;

    /// <summary>The footprint's idle window in seconds (0: no footprint run).</summary>
    public int FootprintSeconds { get; init; }

    /// <summary>Lone starts per implementation for the footprint's start-up medians.</summary>
    public int FootprintStarts { get; init; } = 5;

    /// <summary>The fastest-stable search's window per level in seconds (0: no search).</summary>
    public int StabilitySeconds { get; init; }

    /// <summary>The confirmation window of the fastest stable level found (the issue's 10 minutes).</summary>
    public int ConfirmSeconds { get; init; } = 600;

    /// <summary>--rewrite-report: write report.md again from the output directory's results.json, run nothing.</summary>
    public bool RewriteReport { get; init; }

    /// <summary>Ours' --stonith-delay in the fenced crash (null: the daemon's default, 15 s).</summary>
    public double? StonithDelaySeconds { get; init; }

    /// <summary>--scale vips,groups,members: the scale curves (Scale.cs) instead of the trials.</summary>
    public IReadOnlyList<string> ScaleKinds { get; init; } = [];

    public IReadOnlyList<int> ScaleVips { get; init; } = [1, 16, 64, 256];

    public IReadOnlyList<int> ScaleGroups { get; init; } = [1, 8, 32];

    public IReadOnlyList<int> ScaleMembers { get; init; } = [2, 4, 8];

    /// <summary>How long one step of a scale point (start, takeover, handover) may take before it counts as "&gt; timeout".</summary>
    public int ScaleTimeoutSeconds { get; init; } = 300;

    /// <summary>The largest group (VIPs or groups) 3.0.6 is run with (its takeover grows by about a second per VIP).</summary>
    public int RealMaxSize { get; init; } = 64;

    /// <summary>The scale points' window at rest, in seconds.</summary>
    public int RestSeconds { get; init; } = 10;

    /// <summary>CI's smoke run: success means a report and every trial of ours succeeded.</summary>
    public bool Smoke { get; init; }

    public const string Usage = "usage: Heartbeat.Bench [--smoke | --rewrite-report] [--trials N] [--scenarios crash-cut,crash-kill,crash-cut6,crash-kill6,crash-kill-fence,graceful,standby,failback,partition,uplink] [--impl ours,real,keepalived] [--keepalive MS] [--deadtime S] [--stonith-delay S] [--footprint IDLE_SECONDS [--starts N]] [--stability SEARCH_SECONDS [--confirm SECONDS] [--fastest-trials N]] [--out DIR] | [--scale vips,groups,members [--vips 1,16,64,256] [--groups 1,8,32] [--members 2,4,8] [--scale-timeout S] [--real-max N] [--rest S] --out DIR]";

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions(
            20,
            [Scenario.CrashLinksCut, Scenario.CrashKilled, Scenario.GracefulStop, Scenario.Standby, Scenario.Failback, Scenario.PartitionHeal, Scenario.UplinkLost, Scenario.CrashKilledFenced],
            [Implementation.Ours, Implementation.Real, Implementation.Keepalived],
            1000,
            3,
            Path.Join("bench", "results", DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        for (int i = 0; i < args.Length; i += 2)
        {
            if (args[i] == "--rewrite-report")
            {
                options = options with { RewriteReport = true };
                i--;
                continue;
            }

            if (args[i] == "--smoke")
            {
                // CI's smoke: every scenario once, a short footprint; only our own trials must succeed (a flaky
                // reference run is reported, not failed).
                options = options with { Trials = 1, FootprintSeconds = 10, FootprintStarts = 1, Smoke = true };
                i--;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                return null;
            }

            string value = args[i + 1];
            switch (args[i])
            {
                case "--trials" when int.TryParse(value, CultureInfo.InvariantCulture, out int trials) && trials >= 0:
                    options = options with { Trials = trials };
                    break;
                case "--scenarios":
                    var scenarios = value.Split(',').Select(ParseScenario).ToList();
                    if (scenarios.Any(s => s is null))
                    {
                        return null;
                    }

                    options = options with { Scenarios = [.. scenarios.Select(s => s!.Value)] };
                    break;
                case "--impl":
                    var implementations = value.Split(',').Select(v => Enum.TryParse<Implementation>(v, ignoreCase: true, out var impl) ? impl : (Implementation?)null).ToList();
                    if (implementations.Any(v => v is null))
                    {
                        return null;
                    }

                    options = options with { Implementations = [.. implementations.Select(v => v!.Value)] };
                    break;
                case "--keepalive" when int.TryParse(value, CultureInfo.InvariantCulture, out int ms) && ms >= 1:
                    options = options with { KeepaliveMilliseconds = ms };
                    break;
                case "--deadtime" when int.TryParse(value, CultureInfo.InvariantCulture, out int s) && s >= 1:
                    options = options with { DeadtimeSeconds = s, DeadtimeMilliseconds = null };
                    break;
                case "--deadtime" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds is > 0 and < 1:
                    options = options with { DeadtimeSeconds = 1, DeadtimeMilliseconds = (int)Math.Round(seconds * 1000) };
                    break;
                case "--fastest-trials" when int.TryParse(value, CultureInfo.InvariantCulture, out int fastest) && fastest >= 0:
                    options = options with { FastestTrials = fastest };
                    break;
                case "--footprint" when int.TryParse(value, CultureInfo.InvariantCulture, out int idle) && idle >= 0:
                    options = options with { FootprintSeconds = idle };
                    break;
                case "--starts" when int.TryParse(value, CultureInfo.InvariantCulture, out int starts) && starts >= 1:
                    options = options with { FootprintStarts = starts };
                    break;
                case "--stability" when int.TryParse(value, CultureInfo.InvariantCulture, out int search) && search >= 0:
                    options = options with { StabilitySeconds = search };
                    break;
                case "--confirm" when int.TryParse(value, CultureInfo.InvariantCulture, out int confirm) && confirm > 0:
                    options = options with { ConfirmSeconds = confirm };
                    break;
                case "--stonith-delay" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double delay) && delay >= 0:
                    options = options with { StonithDelaySeconds = delay };
                    break;
                case "--scale" when value.Split(',').All(k => k is "vips" or "groups" or "members"):
                    options = options with { ScaleKinds = value.Split(',') };
                    break;
                case "--vips" when Sizes(value) is { } vips:
                    options = options with { ScaleVips = vips };
                    break;
                case "--groups" when Sizes(value) is { } groups:
                    options = options with { ScaleGroups = groups };
                    break;
                case "--members" when Sizes(value) is { } members:
                    options = options with { ScaleMembers = members };
                    break;
                case "--scale-timeout" when int.TryParse(value, CultureInfo.InvariantCulture, out int limit) && limit > 0:
                    options = options with { ScaleTimeoutSeconds = limit };
                    break;
                case "--real-max" when int.TryParse(value, CultureInfo.InvariantCulture, out int realMax) && realMax > 0:
                    options = options with { RealMaxSize = realMax };
                    break;
                case "--rest" when int.TryParse(value, CultureInfo.InvariantCulture, out int rest) && rest > 0:
                    options = options with { RestSeconds = rest };
                    break;
                case "--out":
                    options = options with { Output = value };
                    break;
                default:
                    return null;
            }
        }

        return options;
    }

    /// <summary>A comma-separated list of sizes (each 1–500), or null.</summary>
    private static int[]? Sizes(string value)
    {
        var sizes = value.Split(',').Select(v => int.TryParse(v, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 500 ? n : 0).ToArray();
        return sizes.All(n => n > 0) ? sizes : null;
    }

    /// <summary>Whether the scenario's VIP is IPv6 (Trials.Vip6).</summary>
    public static bool Ipv6(Scenario scenario) => scenario is Scenario.CrashLinksCut6 or Scenario.CrashKilled6;

    /// <summary>What happens to the holder, whatever the VIP's family.</summary>
    public static Scenario Fault(Scenario scenario) => scenario switch
    {
        Scenario.CrashLinksCut6 => Scenario.CrashLinksCut,
        Scenario.CrashKilled6 => Scenario.CrashKilled,
        _ => scenario,
    };

    public static string Name(Scenario scenario) => scenario switch
    {
        Scenario.CrashLinksCut => "crash-cut",
        Scenario.CrashKilled => "crash-kill",
        Scenario.GracefulStop => "graceful",
        Scenario.Standby => "standby",
        Scenario.PartitionHeal => "partition",
        Scenario.CrashLinksCut6 => "crash-cut6",
        Scenario.CrashKilled6 => "crash-kill6",
        Scenario.UplinkLost => "uplink",
        Scenario.CrashKilledFenced => "crash-kill-fence",
        _ => "failback",
    };

    private static Scenario? ParseScenario(string name) => name switch
    {
        "crash-cut" => Scenario.CrashLinksCut,
        "crash-kill" => Scenario.CrashKilled,
        "graceful" => Scenario.GracefulStop,
        "failback" => Scenario.Failback,
        "standby" => Scenario.Standby,
        "partition" => Scenario.PartitionHeal,
        "crash-cut6" => Scenario.CrashLinksCut6,
        "crash-kill6" => Scenario.CrashKilled6,
        "uplink" => Scenario.UplinkLost,
        "crash-kill-fence" => Scenario.CrashKilledFenced,
        _ => null,
    };
}

// Named literals: a failed trial may carry an infinite or NaN figure, and the report must still be written.
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(IReadOnlyList<TrialResult>))]
[JsonSerializable(typeof(IReadOnlyList<FootprintResult>))]
[JsonSerializable(typeof(IReadOnlyList<ScaleResult>))]
internal sealed partial class BenchJson : JsonSerializerContext;
