using System.Globalization;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Chaos;

/// <summary>
/// The cluster of one run in its lab: nodes on two media (bcast on ens18 and on ens19, each behind its own bridge), a
/// group of VIPs and the counting resource in haresources (pairs), the client's namespace, and the daemon operations
/// the nemesis needs for ours and for a real 3.0.6 alike.
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    private readonly Dictionary<string, int> _realPids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _realLookups = new(StringComparer.Ordinal);

    public ChaosCluster(RunPlan plan, Timers timers)
    {
        Plan = plan;
        Vips = [.. Enumerable.Range(0, plan.VipCount).Select(i => $"10.10.10.{51 + i}")];
        string group = plan.VipCount == 0 ? string.Empty : $"server1 {string.Join(' ', Vips.Select(v => $"IPaddr2::{v}/24/ens18"))} {Checker.CountingResource}\n";
        Lab = new Lab($"chaos {Planner.Name(plan.Pairing)} run {plan.Index}")
        {
            Keepalive = timers.Keepalive,
            DeadtimeSeconds = (int)timers.Deadtime.TotalSeconds,
            Warntime = timers.Warntime,
            InitdeadSeconds = timers.InitdeadSeconds,
            AutoFailback = plan.AutoFailback ? "on" : "off",
            Haresources = group,
            ExtraHaCf = "bcast ens19\n",
        };
        Nodes = Lab.Declare([.. Enumerable.Range(0, plan.Nodes).Select(i => plan.Pairing == Pairing.OursReal && i == 1)]);
        for (int i = 0; i < Nodes.Length; i++)
        {
            Lab.Second(Nodes[i], "ens19", $"{SecondAddress(i)}/24");
            NodeOfAddress[Nodes[i].Address] = Nodes[i].Name;
            NodeOfAddress[SecondAddress(i)] = Nodes[i].Name;
            Directory.CreateDirectory(ChaosDirectory(Nodes[i]));
            if (plan.VipCount > 0)
            {
                Nodes[i].InstallResourceScript(Checker.CountingResource, CountingScript(Nodes[i]));
            }
        }

        Client = plan.VipCount > 0 ? Lab.AddOutsider() : null;
    }

    public RunPlan Plan { get; }

    public Lab Lab { get; }

    public LabNode[] Nodes { get; }

    public IReadOnlyList<string> Vips { get; }

    public string? Client { get; }

    /// <summary>Each node's addresses on either medium, naming the sender of a captured datagram.</summary>
    public Dictionary<string, string> NodeOfAddress { get; } = new(StringComparer.Ordinal);

    public IEnumerable<string> AddressesOf(LabNode node) => NodeOfAddress.Where(p => p.Value == node.Name).Select(p => p.Key);

    /// <summary>Where the node's counting script keeps its file, its state and the fault flags (outside the daemon).</summary>
    public static string ChaosDirectory(LabNode node) => Path.Join(node.Directory, "chaos");

    public string CountLog(LabNode node) => Path.Join(ChaosDirectory(node), "count.log");

    /// <summary>The counting resource: one line per call and per outcome, a state file, and the fail/hang flags.</summary>
    public static string CountingScript(LabNode node) => $$"""
        #!/bin/sh
        # The chaos campaign's counting resource: one line per call and outcome ("EPOCH NODE ACTION") in a file outside
        # the daemon; "fail" (the start fails) and "hang" (start and stop sleep that many seconds) flags in its directory.
        dir='{{ChaosDirectory(node)}}'
        node='{{node.Name}}'
        note() { echo "$(date +%s.%N) $node $1" >> "$dir/count.log"; }
        note "${1:-none}"
        case "$1" in
        start|stop)
          if [ -f "$dir/hang" ]; then sleep "$(cat "$dir/hang")"; fi
          if [ "$1" = start ] && [ -f "$dir/fail" ]; then note failed; exit 1; fi
          if [ "$1" = start ]; then touch "$dir/running"; note started; else rm -f "$dir/running"; note stopped; fi
          ;;
        status)
          if [ -f "$dir/running" ]; then echo running; else echo stopped; fi
          ;;
        esac
        exit 0
        """;

    public void StartAll()
    {
        foreach (var node in Nodes)
        {
            Lab.Start(node);
        }
    }

    /// <summary>The node's daemon process as /proc shows it: ours, the process we started; 3.0.6, its master.</summary>
    public int? DaemonPid(LabNode node)
    {
        if (!node.Real)
        {
            return Lab.OursProcess(node) is { HasExited: false } p ? p.Id : null;
        }

        if (_realPids.TryGetValue(node.Name, out int known) && Alive(known))
        {
            return known;
        }

        // Looking the master up runs lab.sh: at most twice a second while it is gone.
        if (_realLookups.TryGetValue(node.Name, out var lastLookup) && DateTime.UtcNow - lastLookup < TimeSpan.FromMilliseconds(500))
        {
            return null;
        }

        _realLookups[node.Name] = DateTime.UtcNow;
        _realPids.Remove(node.Name);
        if (Lab.RealPid(node) is { } found)
        {
            _realPids[node.Name] = found;
            return found;
        }

        return null;
    }

    /// <summary>Every process of the node's Heartbeat (3.0.6: master and its children; ours: the one process).</summary>
    public List<int> AllDaemonProcesses(LabNode node)
    {
        if (!node.Real)
        {
            return DaemonPid(node) is { } pid ? [pid] : [];
        }

        return Lab.RealDaemonProcesses(node);
    }

    /// <summary>A Heartbeat admin command: ours through hbctl, 3.0.6 through its own script in its namespaces.</summary>
    public string Admin(LabNode node, string verb)
    {
        try
        {
            if (node.Real)
            {
                return Lab.RunInReal(node, $"/usr/share/heartbeat/hb_{verb}", "all").Trim();
            }

            var (code, output) = Lab.RunHbctl(node, verb, "all");
            return $"exit {code} {output.Trim()}";
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            return "failed: " + ex.Message;
        }
    }

    /// <summary>Whether the node's ens18 carries the address now (the nemesis' look-up; the checker reads the monitor).</summary>
    public bool Holds(LabNode node, string vip) => Lab.HasAddress(node, vip);

    public ValueTask DisposeAsync() => Lab.DisposeAsync();

    private static string SecondAddress(int index) => $"10.10.20.{index + 2}";

    private static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
