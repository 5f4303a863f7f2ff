using System.Globalization;

namespace Heartbeat.Chaos;

/// <summary>
/// A run's evidence read back from its dump (<see cref="EvidenceDump"/>, <c>runN-evidence/</c>), so a checker change can
/// be tried on recorded runs offline (<c>--recheck DIR</c>). The client's attempts are not dumped (only their gaps): the
/// rules do not need them, the outages are not recomputed. Dumps older than <c>run.txt</c> get the run's start and end
/// from the first and last record and its nodes and VIPs from what the records name; older than the captured payload,
/// their receptions carry no message.
/// </summary>
public static class EvidenceLoad
{
    public static Evidence Load(string directory)
    {
        string[] Read(string name) => File.Exists(Path.Join(directory, name)) ? File.ReadAllLines(Path.Join(directory, name)) : [];
        return Parse(Read("run.txt"), Read("addresses.txt"), Read("receptions.txt"), Read("pids.txt"), Read("script.txt"), Read("faults.txt"));
    }

    /// <summary>The dump's files, line by line; malformed lines are skipped.</summary>
    public static Evidence Parse(string[] run, string[] addresses, string[] receptions, string[] pids, string[] script, string[] faults)
    {
        var changes = addresses.Select(l => l.Split(' ')).Where(p => p.Length == 4 && Number(p[0]) is not null)
            .Select(p => new AddressChange(Number(p[0])!.Value, p[1], p[3], p[2] == "add")).ToList();
        var received = receptions.Select(Reception).OfType<Reception>().ToList();
        var samples = pids.Select(l => l.Split(' ')).Where(p => p.Length == 3 && Number(p[0]) is not null)
            .Select(p => new PidSample(Number(p[0])!.Value, p[1], int.TryParse(p[2], CultureInfo.InvariantCulture, out int pid) ? pid : null)).ToList();
        var calls = script.Select(EvidenceParsers.ScriptLine).OfType<ScriptCall>().ToList();
        var applied = faults.Select(Fault).OfType<AppliedFault>().ToList();
        var header = run.SelectMany(l => l.Split(' ')).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        double[] times = [.. changes.Select(a => a.At), .. received.Select(r => r.At), .. samples.Select(p => p.At), .. calls.Select(c => c.At), .. applied.Select(f => f.SettleEnd)];
        IReadOnlyList<string> nodes = header.TryGetValue("nodes", out string? n)
            ? n.Split(',')
            : [.. received.SelectMany(r => new[] { r.Receiver, r.Sender }).Concat(samples.Select(p => p.Node)).Distinct().Order(StringComparer.Ordinal)];
        IReadOnlyList<string> vips = header.TryGetValue("vips", out string? v)
            ? v.Split(',', StringSplitOptions.RemoveEmptyEntries)
            : [.. changes.Select(a => a.Address).Distinct().Order(StringComparer.Ordinal)];
        double start = header.TryGetValue("start", out string? s) && Number(s) is { } st ? st : times.DefaultIfEmpty(0).Min();
        double end = header.TryGetValue("end", out string? e) && Number(e) is { } en ? en : times.DefaultIfEmpty(0).Max();
        return new Evidence(nodes, vips, changes, received, [], samples, calls, applied, start, end);
    }

    /// <summary>"EPOCH RECEIVER&lt;-SENDER[ t=TYPE[ rsc_hold=…][ info=…]]".</summary>
    private static Reception? Reception(string line)
    {
        string[] parts = line.Split(' ');
        string[] pair = parts.Length >= 2 ? parts[1].Split("<-") : [];
        if (pair.Length != 2 || Number(parts[0]) is not { } at)
        {
            return null;
        }

        string? Field(string key) => parts.Skip(2).FirstOrDefault(p => p.StartsWith(key, StringComparison.Ordinal))?[key.Length..];
        return new Reception(at, pair[0], pair[1], Field("t=") is { } type ? new HbMessage(type, Field("rsc_hold="), Field("info=")) : null);
    }

    /// <summary>"#I KIND NODE begin B heal H settled S: DETAIL".</summary>
    private static AppliedFault? Fault(string line)
    {
        int colon = line.IndexOf(": ", StringComparison.Ordinal);
        string[] p = (colon > 0 ? line[..colon] : line).Split(' ');
        return p.Length == 9 && p[0].StartsWith('#') && int.TryParse(p[0][1..], CultureInfo.InvariantCulture, out int index)
            && Enum.TryParse(p[1], out FaultKind kind) && Number(p[4]) is { } begin && Number(p[6]) is { } heal && Number(p[8]) is { } settled
            ? new AppliedFault(index, kind, p[2], begin, heal, settled, colon > 0 ? line[(colon + 2)..] : string.Empty)
            : null;
    }

    private static double? Number(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;
}
