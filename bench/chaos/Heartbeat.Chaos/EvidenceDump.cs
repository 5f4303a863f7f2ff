using System.Globalization;

namespace Heartbeat.Chaos;

/// <summary>
/// A run's recorded evidence in plain text: the address changes, the pid samples, the counting script's lines, the faults,
/// the datagrams received (with their messages' type, rsc_hold and info), the client's gaps, the run's bounds, nodes and
/// VIPs (run.txt; <see cref="EvidenceLoad"/> reads it all back), and the daemons' logs (for the reader; the checker never
/// reads them).
/// </summary>
public static class EvidenceDump
{
    public static void Save(string directory, Evidence evidence, ChaosCluster cluster)
    {
        Directory.CreateDirectory(directory);
        var c = CultureInfo.InvariantCulture;
        // What EvidenceLoad needs besides the records to check the run again offline.
        File.WriteAllText(Path.Join(directory, "run.txt"), string.Create(c, $"start {evidence.Start:F6} end {evidence.End:F6} nodes {string.Join(',', evidence.Nodes)} vips {string.Join(',', evidence.Vips)}\n"));
        File.WriteAllLines(Path.Join(directory, "addresses.txt"), evidence.Addresses.Select(a => string.Create(c, $"{a.At:F6} {a.Node} {(a.Added ? "add" : "del")} {a.Address}")));
        File.WriteAllLines(Path.Join(directory, "pids.txt"), evidence.Pids.Select(p => string.Create(c, $"{p.At:F6} {p.Node} {p.Pid?.ToString(c) ?? "-"}")));
        File.WriteAllLines(Path.Join(directory, "script.txt"), evidence.Script.Select(s => string.Create(c, $"{s.At:F6} {s.Node} {s.Action}")));
        File.WriteAllLines(Path.Join(directory, "faults.txt"), evidence.Faults.Select(f => string.Create(c, $"#{f.Index} {f.Kind} {f.Node} begin {f.Begin:F3} heal {f.Heal:F3} settled {f.SettleEnd:F3}: {f.Detail}")));
        File.WriteAllLines(Path.Join(directory, "receptions.txt"), evidence.Receptions.OrderBy(r => r.At).Select(r => string.Create(c, $"{r.At:F6} {r.Receiver}<-{r.Sender}{(r.Message is null ? string.Empty : " " + r.Message.Text)}")));
        File.WriteAllLines(Path.Join(directory, "client-gaps.txt"), evidence.Vips.SelectMany(v => Checker.ProbeGaps(evidence.Probes.Where(p => p.Vip == v), evidence.End)
            .Select(g => string.Create(c, $"{g.From:F3} {g.To:F3} {v} {g.Length * 1000:F0} ms"))));
        foreach (var node in cluster.Nodes)
        {
            string log = Path.Join(node.Directory, "log", "ha-log");
            if (File.Exists(log))
            {
                File.Copy(log, Path.Join(directory, $"{node.Name}-ha-log.txt"), overwrite: true);
            }
        }
    }
}
