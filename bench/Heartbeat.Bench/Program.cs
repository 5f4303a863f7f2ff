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
        var results = new List<TrialResult>();
        foreach (var scenario in options.Scenarios)
        {
            for (int trial = 1; trial <= options.Trials; trial++)
            {
                foreach (var implementation in options.Implementations)
                {
                    var result = await Trials.RunAsync(implementation, scenario, trial, options).ConfigureAwait(false);
                    results.Add(result);
                    Console.WriteLine(result.Describe());
                }
            }
        }

        Report.Write(options, results);
        Console.WriteLine($"bench: {results.Count} trials; report in {options.Output}");
        return results.All(r => r.Ok) ? 0 : 1;
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
}

/// <summary>One trial: the client's longest outage and the longest time both nodes held the VIP.</summary>
public sealed record TrialResult(string Implementation, string Scenario, int Trial, bool Ok, double OutageMilliseconds, double DoubleHoldMilliseconds, string? Problem)
{
    public string Describe() => Ok
        ? string.Create(CultureInfo.InvariantCulture, $"{Scenario,-14} #{Trial,-3} {Implementation,-10} outage {OutageMilliseconds,7:F0} ms, double hold {DoubleHoldMilliseconds,5:F0} ms")
        : $"{Scenario,-14} #{Trial,-3} {Implementation,-10} FAILED: {Problem}";
}

public sealed record BenchOptions(int Trials, IReadOnlyList<Scenario> Scenarios, IReadOnlyList<Implementation> Implementations, int KeepaliveMilliseconds, int DeadtimeSeconds, string Output)
{
    public const string Usage = "usage: Heartbeat.Bench [--trials N] [--scenarios crash-cut,crash-kill,graceful,failback] [--impl ours,real,keepalived] [--keepalive MS] [--deadtime S] [--out DIR]";

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions(
            20,
            [Scenario.CrashLinksCut, Scenario.CrashKilled, Scenario.GracefulStop, Scenario.Failback],
            [Implementation.Ours, Implementation.Real, Implementation.Keepalived],
            1000,
            3,
            Path.Join("bench", "results", DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                return null;
            }

            string value = args[i + 1];
            switch (args[i])
            {
                case "--trials" when int.TryParse(value, CultureInfo.InvariantCulture, out int trials) && trials > 0:
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
                case "--keepalive" when int.TryParse(value, CultureInfo.InvariantCulture, out int ms) && ms >= 100:
                    options = options with { KeepaliveMilliseconds = ms };
                    break;
                case "--deadtime" when int.TryParse(value, CultureInfo.InvariantCulture, out int s) && s >= 1:
                    options = options with { DeadtimeSeconds = s };
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

    public static string Name(Scenario scenario) => scenario switch
    {
        Scenario.CrashLinksCut => "crash-cut",
        Scenario.CrashKilled => "crash-kill",
        Scenario.GracefulStop => "graceful",
        _ => "failback",
    };

    private static Scenario? ParseScenario(string name) => name switch
    {
        "crash-cut" => Scenario.CrashLinksCut,
        "crash-kill" => Scenario.CrashKilled,
        "graceful" => Scenario.GracefulStop,
        "failback" => Scenario.Failback,
        _ => null,
    };
}

/// <summary>The report: per scenario and implementation min / median / p90 / max, ratios ours ÷ 3.0.6, the chart.</summary>
public static class Report
{
    public static void Write(BenchOptions options, IReadOnlyList<TrialResult> results)
    {
        File.WriteAllText(Path.Join(options.Output, "results.json"), JsonSerializer.Serialize(results, BenchJson.Default.IReadOnlyListTrialResult));
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(c, $"# Failover benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n");
        md.Append(c, $"{Environment.ProcessorCount} cores; keepalive {options.KeepaliveMilliseconds} ms, deadtime {options.DeadtimeSeconds} s (keepalived: advert_int {Math.Max(1, options.KeepaliveMilliseconds / 1000)} s, failover after 3 adverts); {options.Trials} trials per scenario, implementations in alternation; a client connects to the VIP every 10 ms. Outage = the longest time without a successful connection.\n\n");
        md.Append("Double hold: the longest time both nodes held the VIP (polled every 50 ms); with links cut the isolated holder keeps its copy until it hears the peer again, so a value there is expected.\n\n");
        md.Append("| scenario | implementation | trials ok | min | median | p90 | max | spread | double hold (max) |\n|---|---|---|---|---|---|---|---|---|\n");
        foreach (var scenario in results.Select(r => r.Scenario).Distinct())
        {
            foreach (var implementation in results.Select(r => r.Implementation).Distinct())
            {
                var ok = results.Where(r => r.Scenario == scenario && r.Implementation == implementation && r.Ok).Select(r => r.OutageMilliseconds).Order().ToArray();
                int total = results.Count(r => r.Scenario == scenario && r.Implementation == implementation);
                if (total == 0)
                {
                    continue;
                }

                double hold = results.Where(r => r.Scenario == scenario && r.Implementation == implementation && r.Ok).Select(r => r.DoubleHoldMilliseconds).DefaultIfEmpty(0).Max();
                md.Append(ok.Length == 0
                    ? string.Create(c, $"| {scenario} | {implementation} | 0/{total} | | | | | | |\n")
                    : string.Create(c, $"| {scenario} | {implementation} | {ok.Length}/{total} | {ok[0]:F0} ms | {Percentile(ok, 0.5):F0} ms | {Percentile(ok, 0.9):F0} ms | {ok[^1]:F0} ms | {ok[^1] - ok[0]:F0} ms | {hold:F0} ms |\n"));
            }
        }

        md.Append("\nMedian outage, ours ÷ real 3.0.6: ");
        md.Append(string.Join("; ", results.Select(r => r.Scenario).Distinct().Select(scenario =>
        {
            double? Median(string impl) => results.Where(r => r.Scenario == scenario && r.Implementation == impl && r.Ok).Select(r => r.OutageMilliseconds).Order().ToArray() is { Length: > 0 } v ? Percentile(v, 0.5) : null;
            return Median("ours") is { } ours && Median("real") is { } real && real > 0 ? string.Create(c, $"{scenario} {ours / real:F2}") : $"{scenario} n/a";
        })));
        md.Append("\n\nFailed trials: ");
        var failed = results.Where(r => !r.Ok).ToList();
        md.Append(failed.Count == 0 ? "none" : string.Join("; ", failed.Select(f => $"{f.Scenario} #{f.Trial} {f.Implementation}: {f.Problem}")));
        md.Append('\n');
        if (Chart(options.Output, results))
        {
            md.Append("\n![outages](outages.png)\n");
        }

        File.WriteAllText(Path.Join(options.Output, "report.md"), md.ToString());
    }

    private static double Percentile(double[] sorted, double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];

    /// <summary>outages.png with gnuplot: every trial's outage as a point, per scenario and implementation.</summary>
    private static bool Chart(string output, IReadOnlyList<TrialResult> results)
    {
        var scenarios = results.Select(r => r.Scenario).Distinct().ToList();
        var implementations = results.Select(r => r.Implementation).Distinct().ToList();
        var data = new StringBuilder();
        foreach (var r in results.Where(r => r.Ok))
        {
            int s = scenarios.IndexOf(r.Scenario);
            int i = implementations.IndexOf(r.Implementation);
            double x = s * (implementations.Count + 1) + i + 1;
            data.Append(string.Create(CultureInfo.InvariantCulture, $"{i} {x} {r.OutageMilliseconds}\n"));
        }

        string dataPath = Path.Join(output, "outages.dat");
        File.WriteAllText(dataPath, data.ToString());
        string tics = string.Join(", ", scenarios.Select((s, k) => string.Create(CultureInfo.InvariantCulture, $"\"{s}\" {k * (implementations.Count + 1) + (implementations.Count + 1) / 2.0}")));
        string plots = string.Join(", ", implementations.Select((impl, i) => $"'{dataPath}' using ($1=={i} ? $2 : 1/0):3 with points pt 7 ps 0.6 title '{impl}'"));
        string script = $"""
            set terminal pngcairo size 1000,500
            set output '{Path.Join(output, "outages.png")}'
            set ylabel 'client outage (ms)'
            set yrange [0:*]
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

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IReadOnlyList<TrialResult>))]
internal sealed partial class BenchJson : JsonSerializerContext;
