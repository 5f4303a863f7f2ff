using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Chaos;

/// <summary>What one run found: its plan, the faults as applied, the violations and each fault's client outage.</summary>
public sealed record RunResult(RunPlan Plan, IReadOnlyList<AppliedFault> Faults, IReadOnlyList<Violation> Violations, IReadOnlyDictionary<int, double> Outages, double Seconds, string? Error)
{
    /// <summary>
    /// Violations whose culprit is a real 3.0.6 node (its split-brain restart, its slow IPaddr2): the reference's own
    /// behaviour, reported apart and not counted against ours.
    /// </summary>
    public IReadOnlyList<Violation> Reference { get; init; } = [];

    /// <summary>How much evidence the checker read (datagrams received, address changes, client attempts, pid changes, script lines).</summary>
    public string EvidenceCounts { get; init; } = "-";
}

/// <summary>One run: a fresh lab, the cluster started and settled, the plan's faults in order, then the checker.</summary>
public static class ChaosRun
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(90);

    public static async Task<RunResult> ExecuteAsync(RunPlan plan, Timers timers, EventLog events, Func<bool> cancelled)
    {
        var started = DateTimeOffset.UtcNow;
        var applied = new List<AppliedFault>();
        await using var cluster = new ChaosCluster(plan, timers);
        await using var recorder = new Recorder(cluster);
        cluster.StartAll();
        events.Write(plan.Index, "start", "-", $"{Planner.Name(plan.Pairing)}, auto_failback {(plan.AutoFailback ? "on" : "off")}, {plan.VipCount} VIPs, lab {cluster.Lab.Name}");
        if (!Settled(cluster, recorder))
        {
            string why = "the cluster did not settle (every VIP answered, held once) within " + SettleTimeout.TotalSeconds + " s";
            events.Write(plan.Index, "error", "-", why);
            return new RunResult(plan, applied, [], new Dictionary<int, double>(), Since(started), why + "\n" + cluster.Lab.Describe());
        }

        double start = EvidenceParsers.Epoch(DateTimeOffset.UtcNow);
        var nemesis = new Nemesis(cluster, (kind, node, what) => events.Write(plan.Index, kind, node, what));
        string? error = null;
        try
        {
            for (int i = 0; i < plan.Faults.Count && !cancelled(); i++)
            {
                applied.Add(nemesis.Apply(i + 1, plan.Faults[i]));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            // The lab failed under the nemesis (not the daemons): the run ends, what was recorded is still checked.
            error = ex.Message;
            events.Write(plan.Index, "error", "-", ex.Message);
        }

        var evidence = await recorder.FinishAsync(start, applied).ConfigureAwait(false);
        var real = cluster.Nodes.Where(n => n.Real).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var rules = CheckRules.For(timers, plan.VipCount) with { RealNodes = real };
        var found = Checker.Check(evidence, rules);
        var violations = found.Where(v => !real.Contains(v.Culprit)).ToList();
        var reference = found.Where(v => real.Contains(v.Culprit)).ToList();
        foreach (var violation in violations)
        {
            events.Violation(plan.Index, violation, "violation");
        }

        foreach (var violation in reference)
        {
            events.Violation(plan.Index, violation, "reference");
        }

        EvidenceDump.Save(Path.Join(events.Directory, $"run{plan.Index}-evidence"), evidence, cluster);

        return new RunResult(plan, applied, violations, Checker.Outages(evidence), Since(started), error)
        {
            Reference = reference,
            EvidenceCounts = $"{evidence.Receptions.Count}/{evidence.Addresses.Count}/{evidence.Probes.Count}/{evidence.Pids.Count}/{evidence.Script.Count}",
        };
    }

    /// <summary>Every VIP held by exactly one node and answering the client (three nodes: every pair heard each other).</summary>
    private static bool Settled(ChaosCluster cluster, Recorder recorder)
    {
        if (cluster.Vips.Count == 0)
        {
            Thread.Sleep(TimeSpan.FromSeconds(cluster.Lab.InitdeadSeconds + 4));
            return cluster.Nodes.All(n => cluster.DaemonPid(n) is not null);
        }

        return Lab.WaitUntil(
            () => recorder.Probe!.AllAnswering(cluster.Vips, TimeSpan.FromSeconds(1))
                && cluster.Vips.All(v => cluster.Nodes.Count(n => cluster.Holds(n, v)) == 1),
            SettleTimeout);
    }

    private static double Since(DateTimeOffset started) => (DateTimeOffset.UtcNow - started).TotalSeconds;
}
