using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Heartbeat.Chaos;

/// <summary>
/// The client outage per fault kind over a whole campaign (<c>--outages CHUNK...</c>): every run dumped below the chunk
/// directories (<c>runN-evidence/</c>: its faults and the client's gaps per VIP), the same attribution as a run's report
/// (<see cref="Checker.Outages(IReadOnlyList{AppliedFault}, IEnumerable{Span})"/>), the pairing of each run from the
/// chunk's events.jsonl. A chunk's report gives quantiles of its own runs only; these are exact over all of them.
/// </summary>
public static class OutageSummary
{
    public static string Markdown(IEnumerable<string> chunks)
    {
        var c = CultureInfo.InvariantCulture;
        var outages = new List<(string Pairing, FaultKind Kind, double Ms)>();
        int runs = 0;
        foreach (string chunk in chunks)
        {
            var pairings = Pairings(Path.Join(chunk, "events.jsonl"));
            foreach (string dump in Directory.GetDirectories(chunk, "run*-evidence").Order(StringComparer.Ordinal))
            {
                if (RunIndex(dump) is not { } index)
                {
                    continue;
                }

                var evidence = EvidenceLoad.Load(dump);
                string gapsFile = Path.Join(dump, "client-gaps.txt");
                if (evidence.Vips.Count == 0 || !File.Exists(gapsFile))
                {
                    continue;
                }

                runs++;
                var perFault = Checker.Outages(evidence.Faults, File.ReadLines(gapsFile).Select(Gap).OfType<Span>());
                outages.AddRange(evidence.Faults.Select(f => (pairings.GetValueOrDefault(index, "?"), f.Kind, perFault[f.Index] * 1000)));
            }
        }

        var md = new StringBuilder();
        md.Append(c, $"{runs} runs with VIPs, {outages.Count} faults. The longest run of failed connections to any VIP that began between the fault and the end of its quiet window, from the last answer before it to the first after; 0 when the client never missed. One table per pairing.\n");
        foreach (string pairing in outages.Select(o => o.Pairing).Distinct().Order(StringComparer.Ordinal))
        {
            md.Append(c, $"\n**{pairing}** ({outages.Count(o => o.Pairing == pairing)} faults)\n\n| fault | n | min ms | median ms | p90 ms | max ms |\n|---|---|---|---|---|---|\n");
            foreach (var kind in Enum.GetValues<FaultKind>())
            {
                var sorted = outages.Where(o => o.Kind == kind && o.Pairing == pairing).Select(o => o.Ms).Order().ToList();
                if (sorted.Count > 0)
                {
                    md.Append(c, $"| {kind} | {sorted.Count} | {sorted[0]:F0} | {Report.Quantile(sorted, 0.5):F0} | {Report.Quantile(sorted, 0.9):F0} | {sorted[^1]:F0} |\n");
                }
            }
        }

        return md.ToString();
    }

    /// <summary>A line of client-gaps.txt: "FROM TO VIP N ms".</summary>
    public static Span? Gap(string line)
    {
        string[] p = line.Split(' ');
        return p.Length >= 2 && double.TryParse(p[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double from)
            && double.TryParse(p[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double to) && to >= from
            ? new Span(from, to)
            : null;
    }

    /// <summary>N of a dump directory named runN-evidence.</summary>
    public static int? RunIndex(string dump)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dump));
        return name.StartsWith("run", StringComparison.Ordinal) && name.EndsWith("-evidence", StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(3, name.Length - 3 - "-evidence".Length), CultureInfo.InvariantCulture, out int index)
            ? index
            : null;
    }

    /// <summary>Each run's pairing, from its "start" event ("ours+real, auto_failback on, 4 VIPs, lab …").</summary>
    public static Dictionary<int, string> Pairings(string eventsFile)
    {
        var pairings = new Dictionary<int, string>();
        if (!File.Exists(eventsFile))
        {
            return pairings;
        }

        foreach (string line in File.ReadLines(eventsFile))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.TryGetProperty("kind", out var kind) && kind.GetString() == "start" && root.TryGetProperty("run", out var run)
                && root.TryGetProperty("what", out var what) && what.GetString() is { } text)
            {
                pairings[run.GetInt32()] = text.Split(',')[0];
            }
        }

        return pairings;
    }
}
