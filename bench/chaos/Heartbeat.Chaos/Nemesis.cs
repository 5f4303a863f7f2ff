using System.Globalization;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Chaos;

/// <summary>
/// Applies the faults of a run's plan to its cluster, one at a time: the fault, its duration, its heal, then the quiet
/// window. Every action is logged with its time (events.jsonl) through <paramref name="log"/>.
/// </summary>
public sealed class Nemesis(ChaosCluster cluster, Action<string, string, string> log)
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(60);

    private Lab Lab => cluster.Lab;

    /// <summary>Applies one fault and waits out its quiet window.</summary>
    public AppliedFault Apply(int index, Fault fault)
    {
        var node = cluster.Nodes[fault.Target];
        double begin = Now();
        _deletedFrom = null;
        string detail = Begin(fault, node);

        // A VIP deleted by hand: the fault is on whichever node held it (the plan names only which VIP).
        node = _deletedFrom ?? node;
        log(fault.Kind.ToString(), node.Name, "begin " + detail);
        double heal;
        if (fault.Kind is not (FaultKind.Flap or FaultKind.Reload or FaultKind.Standby or FaultKind.Takeover))
        {
            Thread.Sleep(fault.Duration);
            heal = Now();
            string healed = Heal(fault, node);
            log(fault.Kind.ToString(), node.Name, "heal " + healed);
            detail += "; " + healed;
        }
        else
        {
            heal = Now();
        }

        Thread.Sleep(fault.Settle);
        return new AppliedFault(index, fault.Kind, node.Name, begin, heal, Now(), detail);
    }

    private static double Now() => EvidenceParsers.Epoch(DateTimeOffset.UtcNow);

    private string Begin(Fault fault, LabNode node)
    {
        var others = cluster.Nodes.Where(n => n != node).ToList();
        switch (fault.Kind)
        {
            case FaultKind.Partition:
                foreach (var other in others)
                {
                    Lab.Cut(node, other, on: true);
                    Lab.Cut(other, node, on: true);
                }

                return $"{node.Name} cut from every peer for {Ms(fault.Duration)}";
            case FaultKind.OneWay:
                Lab.Cut(node, cluster.Nodes[fault.Parameter], on: true);
                return $"{node.Name} -> {cluster.Nodes[fault.Parameter].Name} dropped for {Ms(fault.Duration)}";
            case FaultKind.OneMedium:
                Lab.Uplink(false, node);
                return $"{node.Name}'s ens19 port down for {Ms(fault.Duration)}";
            case FaultKind.Flap:
                int count = fault.Parameter / 1000, each = fault.Parameter % 1000;
                Lab.Flap(node, count, each);
                return $"{node.Name}'s links down/up {count} times, {each} ms each way";
            case FaultKind.Loss:
                Lab.BridgeLoss(node, fault.Parameter);
                return $"{fault.Parameter} % of {node.Name}'s frames dropped for {Ms(fault.Duration)}";
            case FaultKind.Delay:
                Lab.Slow(node, fault.Parameter);
                return $"{node.Name}'s interfaces limited to {fault.Parameter} kbit/s for {Ms(fault.Duration)}";
            case FaultKind.Duplicate:
                Lab.Duplicate(node, on: true);
                return $"{node.Name}'s frames duplicated for {Ms(fault.Duration)}";
            case FaultKind.Kill:
                return PowerOff(node) + $", down for {Ms(fault.Duration)}";
            case FaultKind.StopShort:
            case FaultKind.StopLong:
                return SignalAll(node, "STOP") + $" for {Ms(fault.Duration)}";
            case FaultKind.Graceful:
                return GracefulStop(node) + $", down for {Ms(fault.Duration)}";
            case FaultKind.Standby:
                return "standby: " + cluster.Admin(node, "standby");
            case FaultKind.Takeover:
                return "takeover: " + cluster.Admin(node, "takeover");
            case FaultKind.Reload:
                return cluster.DaemonPid(node) is { } master ? Signalled(master, "HUP") : "no daemon to reload";
            case FaultKind.ScriptFail:
            case FaultKind.ScriptHang:
                string flag = fault.Kind == FaultKind.ScriptFail ? "fail" : "hang";
                File.WriteAllText(Path.Join(ChaosCluster.ChaosDirectory(node), flag), fault.Kind == FaultKind.ScriptHang ? "6\n" : "1\n");
                return $"{Checker.CountingResource} set to {flag} on {node.Name}; takeover: " + cluster.Admin(node, "takeover");
            case FaultKind.VipDelete:
                string vip = cluster.Vips[fault.Parameter];
                var holder = cluster.Nodes.FirstOrDefault(n => cluster.Holds(n, vip));
                if (holder is null)
                {
                    return $"{vip} held by nobody: nothing deleted";
                }

                _ = Lab.InNetnsCode(holder, "ip", "addr", "del", vip + "/24", "dev", "ens18");
                _deletedFrom = holder;
                return $"{vip} deleted on {holder.Name}";
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault.Kind, "no such fault");
        }
    }

    private LabNode? _deletedFrom;

    private string Heal(Fault fault, LabNode node)
    {
        switch (fault.Kind)
        {
            case FaultKind.Partition:
                foreach (var other in cluster.Nodes.Where(n => n != node))
                {
                    Lab.Cut(node, other, on: false);
                    Lab.Cut(other, node, on: false);
                }

                return "partition healed";
            case FaultKind.OneWay:
                Lab.Cut(node, cluster.Nodes[fault.Parameter], on: false);
                return "one-way partition healed";
            case FaultKind.OneMedium:
                Lab.Uplink(true, node);
                return "ens19 port up";
            case FaultKind.Loss:
                Lab.BridgeLoss(node, 0);
                return "loss cleared";
            case FaultKind.Delay:
                Lab.Slow(node, null);
                return "rate limit cleared";
            case FaultKind.Duplicate:
                Lab.Duplicate(node, on: false);
                return "duplication cleared";
            case FaultKind.Kill:
            case FaultKind.Graceful:
                Lab.Start(node);
                return "started again";
            case FaultKind.StopShort:
            case FaultKind.StopLong:
                return SignalAll(node, "CONT");
            case FaultKind.ScriptFail:
            case FaultKind.ScriptHang:
                File.Delete(Path.Join(ChaosCluster.ChaosDirectory(node), "fail"));
                File.Delete(Path.Join(ChaosCluster.ChaosDirectory(node), "hang"));
                return "flags cleared";
            case FaultKind.VipDelete:
                // 3.0.6 does not monitor resources (ours puts a VIP back at once, README): the operator repairs by handing the group over.
                return _deletedFrom is { } holder ? $"operator repair: standby on {holder.Name}: " + cluster.Admin(holder, "standby") : "nothing to repair";
            default:
                return "nothing to heal";
        }
    }

    /// <summary>A power-off: every Heartbeat process SIGKILLed, the VIPs gone with the machine, the resource's state too.</summary>
    private string PowerOff(LabNode node)
    {
        var pids = cluster.AllDaemonProcesses(node);
        Lab.Kill(node);
        foreach (string vip in cluster.Vips)
        {
            _ = Lab.InNetnsCode(node, "ip", "addr", "del", vip + "/24", "dev", "ens18");
        }

        if (cluster.Vips.Count > 0)
        {
            string dir = ChaosCluster.ChaosDirectory(node);
            File.Delete(Path.Join(dir, "running"));
            File.AppendAllText(Path.Join(dir, "count.log"), string.Create(CultureInfo.InvariantCulture, $"{Now():F6} {node.Name} reset\n"));
        }

        return $"SIGKILL to {string.Join(',', pids)}, addresses and resource state removed";
    }

    private string GracefulStop(LabNode node)
    {
        var pid = cluster.DaemonPid(node);
        Lab.Stop(node);
        bool gone = Lab.WaitUntil(() => cluster.DaemonPid(node) is null, StopWait);
        return $"SIGTERM to {pid}" + (gone ? string.Empty : $", still running after {StopWait.TotalSeconds:F0} s");
    }

    /// <summary>The signal to every Heartbeat process of the node (3.0.6's children too: they would send on alone).</summary>
    private string SignalAll(LabNode node, string signal)
    {
        var pids = cluster.AllDaemonProcesses(node);
        foreach (int pid in pids)
        {
            Lab.Signal(pid, signal);
        }

        return $"SIG{signal} to {string.Join(',', pids)}";
    }

    private static string Signalled(int pid, string signal)
    {
        Lab.Signal(pid, signal);
        return $"SIG{signal} to {pid}";
    }

    private static string Ms(TimeSpan span) => $"{span.TotalMilliseconds:F0} ms";
}
