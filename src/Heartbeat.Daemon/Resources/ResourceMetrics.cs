using Heartbeat.Protocol.Metrics;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// What the resource side counts for the metrics: resource script runs (resource.d, init.d, OCF wrappers) by action and
/// result with their durations, the takeover path's duration (acquisition decided → first gratuitous ARP), and VIPs put
/// back after they vanished. Written by the group worker and the VIP checks, read when the loop publishes: interlocked.
/// </summary>
public sealed class ResourceMetrics
{
    public static readonly string[] Actions = ["start", "stop"];

    private readonly long[] _runs = new long[Actions.Length * 2];
    private long _vipRestores;

    public ResourceMetrics()
    {
        ScriptDurations = [.. Actions.Select(_ => Histogram.Durations())];
    }

    /// <summary>Per action (index in <see cref="Actions"/>): how long the script ran.</summary>
    public Histogram[] ScriptDurations { get; }

    /// <summary>A takeover's acquisition from the decision (the peer declared dead or gone) to its first gratuitous ARP or NA.</summary>
    public Histogram TakeoverDurations { get; } = Histogram.Durations();

    public long VipRestores => Interlocked.Read(ref _vipRestores);

    public long ScriptRuns(int action, bool ok) => Interlocked.Read(ref _runs[(action * 2) + (ok ? 1 : 0)]);

    public void ScriptRan(int action, bool ok, TimeSpan duration)
    {
        Interlocked.Increment(ref _runs[(action * 2) + (ok ? 1 : 0)]);
        ScriptDurations[action].Observe(duration);
    }

    public void VipsRestored(int count) => Interlocked.Add(ref _vipRestores, count);
}
