using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// Debian's real Prometheus, run inside a lab namespace with its own configuration and storage under the lab's
/// directory, scraping the given targets every second; queried through its HTTP API (/api/v1/query) with curl from the
/// same namespace. Killed on dispose (the lab's teardown would also kill it with the namespace).
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    public const string Binary = "/usr/bin/prometheus";
    private const string Listen = "127.0.0.1:9090";

    private readonly string _netns;
    private readonly Process _process;
    private readonly StreamWriter _log;

    public PrometheusServer(string netns, string directory, IEnumerable<string> targets)
    {
        _netns = netns;
        Directory.CreateDirectory(directory);
        string config = Path.Join(directory, "prometheus.yml");
        File.WriteAllText(config, $$"""
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
              evaluation_interval: 1s
            scrape_configs:
              - job_name: heartbeat
                static_configs:
                  - targets: [{{string.Join(", ", targets.Select(t => $"'{t}'"))}}]
            """);
        LogPath = Path.Join(directory, "prometheus.log");
        var info = new ProcessStartInfo("ip");
        foreach (string arg in (string[])["netns", "exec", netns, Binary, "--config.file=" + config, "--storage.tsdb.path=" + Path.Join(directory, "data"),
            "--web.listen-address=" + Listen, "--log.level=warn"])
        {
            info.ArgumentList.Add(arg);
        }

        (_process, _log) = Processes.StartLogged(info, LogPath);
    }

    public string LogPath { get; }

    /// <summary>An instant query: each series' labels and value; empty when nothing matches or Prometheus is not up yet.</summary>
    public IReadOnlyList<(Dictionary<string, string> Labels, double Value)> Query(string expression)
    {
        var (code, output, _) = Processes.Run(
            ["ip", "netns", "exec", _netns, "curl", "-sf", "--max-time", "5", "--get", "--data-urlencode", "query=" + expression, $"http://{Listen}/api/v1/query"],
            TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            return [];
        }

        using var json = JsonDocument.Parse(output);
        var data = json.RootElement.GetProperty("data");
        return [.. data.GetProperty("result").EnumerateArray().Select(r => (
            r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal),
            double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))];
    }

    /// <summary>The single value of a query that matches one series, or null.</summary>
    public double? Scalar(string expression) => Query(expression) is [var only] ? only.Value : null;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
