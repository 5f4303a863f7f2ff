using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Chaos;

/// <summary>
/// Gathers a run's outside evidence while it happens: <c>ip monitor address</c> in every node's namespace, a capture of
/// the Heartbeat datagrams arriving on every node's interfaces (with each message's type, rsc_hold and info), the client probe, and the daemons' pids from /proc.
/// The counting script's files are read at the end. Nothing is read from the daemons' logs.
/// </summary>
public sealed class Recorder : IAsyncDisposable
{
    private readonly ChaosCluster _cluster;
    private readonly Dictionary<string, AddressMonitor> _monitors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PacketCapture> _captures = new(StringComparer.Ordinal);
    private readonly List<PidSample> _pids = [];
    private readonly Thread _sampler;
    private volatile bool _stopping;

    public Recorder(ChaosCluster cluster)
    {
        _cluster = cluster;
        foreach (var node in cluster.Nodes)
        {
            _monitors[node.Name] = AddressMonitor.Start(cluster.Lab.Netns(node));
            string own = string.Join(" and ", cluster.AddressesOf(node).Select(a => $"not src host {a}"));
            // With the payload: the checker reads the resource exchange's messages (who gave the group up, who was asked to take it).
            _captures[node.Name] = new PacketCapture(cluster.Lab.Netns(node), $"udp port 694 and {own}", "any", payload: true);
        }

        Probe = cluster.Vips.Count > 0 ? new ClientProbe(cluster.Lab, cluster.Nodes, cluster.Vips, cluster.Client!) : null;
        _sampler = new Thread(Sample) { IsBackground = true, Name = "pid sampler" };
        _sampler.Start();
    }

    public ClientProbe? Probe { get; }

    /// <summary>Stops recording and returns what was recorded between <paramref name="start"/> and now.</summary>
    public async Task<Evidence> FinishAsync(double start, IReadOnlyList<AppliedFault> faults)
    {
        double end = EvidenceParsers.Epoch(DateTimeOffset.UtcNow);
        _stopping = true;
        _sampler.Join(TimeSpan.FromSeconds(5));
        foreach (var capture in _captures.Values)
        {
            capture.Stop();
        }

        var probes = Probe?.Attempts() ?? [];
        if (Probe is { } probe)
        {
            await probe.DisposeAsync().ConfigureAwait(false);
        }

        var addresses = _monitors.SelectMany(m => _cluster.Vips.SelectMany(v => m.Value.Lines(v)).Select(l => EvidenceParsers.MonitorLine(m.Key, l)))
            .OfType<AddressChange>()
            .Where(a => _cluster.Vips.Contains(a.Address))
            .Distinct()
            .OrderBy(a => a.At)
            .ToList();
        var receptions = _captures.SelectMany(c => EvidenceParsers.CaptureLines(c.Key, c.Value.Lines(), _cluster.NodeOfAddress)).ToList();
        var script = _cluster.Nodes.SelectMany(n => ReadLines(_cluster.CountLog(n)).Select(EvidenceParsers.ScriptLine)).OfType<ScriptCall>().OrderBy(c => c.At).ToList();
        List<PidSample> pids;
        lock (_pids)
        {
            pids = [.. _pids];
        }

        return new Evidence([.. _cluster.Nodes.Select(n => n.Name)], _cluster.Vips, addresses, receptions, probes, pids, script, faults, start, end);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        foreach (var monitor in _monitors.Values)
        {
            monitor.Dispose();
        }

        foreach (var capture in _captures.Values)
        {
            capture.Dispose();
        }

        if (Probe is { } probe)
        {
            await probe.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? LabNode.ReadShared(path).Split('\n') : [];

    /// <summary>Every 100 ms, each node's daemon pid as /proc shows it; a sample is kept when it differs from the last.</summary>
    private void Sample()
    {
        var last = new Dictionary<string, int?>(StringComparer.Ordinal);
        while (!_stopping)
        {
            foreach (var node in _cluster.Nodes)
            {
                int? pid = _cluster.DaemonPid(node);
                if (!last.TryGetValue(node.Name, out int? before) || before != pid)
                {
                    last[node.Name] = pid;
                    lock (_pids)
                    {
                        _pids.Add(new PidSample(EvidenceParsers.Epoch(DateTimeOffset.UtcNow), node.Name, pid));
                    }
                }
            }

            Thread.Sleep(100);
        }
    }
}
