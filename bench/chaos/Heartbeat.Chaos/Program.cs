using System.Globalization;
using Heartbeat.Chaos;

// bench/chaos/run.sh --minutes N [--seed S] [--pairing ours+ours|ours+real|three] [--out DIR]: the nemesis campaign.
// Exit 0 only when the checker found no violation (and no run failed to start).
// --recheck DIR: no lab; the checker of this build over recorded evidence dumps (DIR/runN-evidence/ or one such
// directory), every violation printed with its culprit. With the chunk's events.jsonl beside the dumps, a violation
// whose culprit is the real 3.0.6 node of an ours+real run (server2: ChaosCluster declares the second node real) is
// marked as 3.0.6's own and not counted. Exit 0 only with none counted.
if (args is ["--recheck", string recheck])
{
    bool single = File.Exists(Path.Join(recheck, "addresses.txt"));
    var dumps = single ? [recheck] : Directory.GetDirectories(recheck, "run*-evidence").Order(StringComparer.Ordinal).ToArray();
    var pairings = OutageSummary.Pairings(Path.Join(single ? Path.GetDirectoryName(Path.GetFullPath(recheck))! : recheck, "events.jsonl"));
    int counted = 0, reference = 0;
    foreach (string dump in dumps)
    {
        var evidence = EvidenceLoad.Load(dump);
        string? pairing = OutageSummary.RunIndex(dump) is { } index && pairings.TryGetValue(index, out string? p) ? p : null;
        var real = new HashSet<string>(pairing == "ours+real" ? ["server2"] : [], StringComparer.Ordinal);
        var rechecked = Checker.Check(evidence, CheckRules.For(Timers.Campaign, evidence.Vips.Count) with { RealNodes = real });
        int messages = evidence.Receptions.Count(r => r.Message is not null);
        Console.WriteLine($"chaos recheck: {dump}{(pairing is null ? string.Empty : " (" + pairing + ")")}: {evidence.Receptions.Count} datagrams ({messages} with their message), {evidence.Addresses.Count} address changes, {evidence.Faults.Count} faults, {rechecked.Count} violations");
        foreach (var v in rechecked)
        {
            bool own = pairing == "ours+real" && v.Culprit == "server2";
            (counted, reference) = own ? (counted, reference + 1) : (counted + 1, reference);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chaos recheck:   {(own ? "[3.0.6's own] " : string.Empty)}{v.Rule} at +{v.At - evidence.Start:F3} s, {v.Node} (culprit {v.Culprit}): {v.Detail}"));
        }
    }

    Console.WriteLine($"chaos recheck: {counted} violations counted, {reference} of 3.0.6's own");
    return dumps.Length > 0 && counted == 0 ? 0 : 1;
}

// --outages CHUNK...: no lab; the client outage per fault kind over every run dumped below the chunk directories
// (OutageSummary), as markdown on stdout.
if (args is ["--outages", .. var chunks] && chunks.Length > 0)
{
    Console.Write(OutageSummary.Markdown(chunks));
    return 0;
}

double minutes = 5;
int? seedGiven = null;
string? pairingText = null;
string output = Path.Join("bench", "results", "chaos-" + DateTime.UtcNow.ToString("yyyy-MM-dd-HHmmss", CultureInfo.InvariantCulture));
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : string.Empty;
    switch (args[i])
    {
        case "--minutes" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double m) && m > 0:
            minutes = m;
            i++;
            break;
        case "--seed" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int s):
            seedGiven = s;
            i++;
            break;
        case "--pairing" when Planner.ParsePairing(value) is not null:
            pairingText = value;
            i++;
            break;
        case "--out" when value.Length > 0:
            output = value;
            i++;
            break;
        default:
            Console.Error.WriteLine($"chaos: unknown or malformed argument {args[i]} (--minutes N --seed S --pairing ours+ours|ours+real|three --out DIR)");
            return 2;
    }
}

int seed = seedGiven ?? Random.Shared.Next(1, 1_000_000);
Console.WriteLine($"chaos: seed {seed}{(seedGiven is null ? " (chosen)" : string.Empty)}, {minutes} minutes, pairing {pairingText ?? "alternating"}, out {output}");
var timers = Timers.Campaign;
var plans = Planner.Plan(seed, minutes, pairingText is null ? null : Planner.ParsePairing(pairingText), timers);
bool cancelled = false;
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C ends the campaign after the current fault, so the lab is torn down by its owner.
    e.Cancel = !cancelled;
    cancelled = true;
};

var results = new List<RunResult>();
using (var events = new EventLog(output))
{
    foreach (var plan in plans)
    {
        if (cancelled)
        {
            break;
        }

        Console.WriteLine($"chaos: run {plan.Index}/{plans.Count}: {Planner.Name(plan.Pairing)}, {plan.Faults.Count} faults, auto_failback {(plan.AutoFailback ? "on" : "off")}, {plan.VipCount} VIPs");
        var result = await ChaosRun.ExecuteAsync(plan, timers, events, () => cancelled);
        results.Add(result);
        Console.WriteLine($"chaos: run {plan.Index}: {result.Faults.Count} faults in {result.Seconds:F0} s, {result.Violations.Count} violations, {result.Reference.Count} of 3.0.6's own{(result.Error is null ? string.Empty : ", error: " + result.Error.Split('\n')[0])}");
        foreach (var v in result.Violations.Concat(result.Reference))
        {
            Console.WriteLine($"chaos:   {v.Rule} {v.Node} (culprit {v.Culprit}): {v.Detail}");
        }
    }
}

File.WriteAllText(Path.Join(output, "report.md"), Report.Markdown(seed, minutes, pairingText, results, timers));
int violations = results.Sum(r => r.Violations.Count);
bool unstarted = results.Any(r => r.Error is not null && r.Faults.Count == 0);
Console.WriteLine($"chaos: seed {seed}: {results.Sum(r => r.Faults.Count)} faults in {results.Sum(r => r.Seconds) / 60:F1} minutes, {violations} violations; report {Path.Join(output, "report.md")}");
return violations == 0 && !unstarted && !cancelled ? 0 : 1;
