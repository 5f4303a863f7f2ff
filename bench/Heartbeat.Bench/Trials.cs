using System.Diagnostics;
using System.Globalization;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench;

/// <summary>
/// One trial of one implementation in a fresh lab: server1 holds the VIP (its home), then the scenario happens to it
/// and the client's outage is measured until server2 answers (or, for failback, until server1 answers again).
/// </summary>
public static class Trials
{
    public const string Vip = "10.10.10.1";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(10);

    public static async Task<TrialResult> RunAsync(Implementation implementation, Scenario scenario, int trial, BenchOptions options)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        string name = BenchOptions.Name(scenario);
        try
        {
            await using var lab = new Lab($"bench {impl} {name} {trial}")
            {
                Keepalive = TimeSpan.FromMilliseconds(options.KeepaliveMilliseconds),
                DeadtimeSeconds = options.DeadtimeSeconds,
                InitdeadSeconds = Math.Max(options.DeadtimeSeconds * 2, 6),
                AutoFailback = "on",
                Haresources = $"server1 IPaddr2::{Vip}/24/ens18\n",
            };
            var nodes = lab.Declare(implementation == Implementation.Real, implementation == Implementation.Real);
            var (holder, taker) = (nodes[0], nodes[1]);
            string client = lab.AddOutsider();
            await using var pair = implementation == Implementation.Keepalived ? (IPair)new KeepalivedPair(lab, options) : new HeartbeatPair(lab);
            pair.Start(holder);
            pair.Start(taker);
            await using var probe = new VipProbe(lab, nodes, Vip, client, ProbeInterval);
            if (!Lab.WaitUntil(() => probe.Holders() is [var h] && h == holder.Name && probe.LastAnswer() == holder.Name, Wait))
            {
                return Failed("server1 never held the VIP alone");
            }

            // 3.0.6 advertises deadtime + 2 s for 5 s after its start; let every implementation settle the same way.
            Thread.Sleep(6000);
            var mark = probe.Now;
            switch (scenario)
            {
                case Scenario.CrashLinksCut:
                    lab.Link(holder, up: false);
                    break;
                case Scenario.CrashKilled:
                case Scenario.Failback:
                    // A power-off: the daemon gone and its VIP with it.
                    pair.Kill(holder);
                    Processes.Run(["ip", "netns", "exec", lab.Netns(holder), "ip", "addr", "del", Vip + "/24", "dev", "ens18"], TimeSpan.FromSeconds(10));
                    break;
                case Scenario.GracefulStop:
                    pair.Stop(holder);
                    break;
            }

            if (!Lab.WaitUntil(() => probe.LastAnswer() == taker.Name, Wait))
            {
                return Failed($"{taker.Name} never answered after the {name}");
            }

            if (scenario == Scenario.Failback)
            {
                Thread.Sleep(2000);
                mark = probe.Now;
                pair.Start(holder);
                if (!Lab.WaitUntil(() => probe.Holders() is [var h] && h == holder.Name && probe.LastAnswer() == holder.Name, Wait))
                {
                    return Failed("the VIP did not return to server1");
                }
            }

            Thread.Sleep(500);
            return new TrialResult(impl, name, trial, true, probe.LongestOutage(mark).TotalMilliseconds, probe.LongestDoubleHold(mark).TotalMilliseconds, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            return Failed(ex.Message);
        }

        TrialResult Failed(string why) => new(impl, name, trial, false, double.NaN, double.NaN, why);
    }
}

/// <summary>A pair of nodes running one implementation.</summary>
public interface IPair : IAsyncDisposable
{
    void Start(LabNode node);

    /// <summary>SIGKILL of the daemon (its VIP left behind: the caller removes addresses for a power-off).</summary>
    void Kill(LabNode node);

    /// <summary>A graceful stop (SIGTERM).</summary>
    void Stop(LabNode node);
}

/// <summary>Heartbeat, ours or real 3.0.6, as the integration tests run it.</summary>
public sealed class HeartbeatPair(Lab lab) : IPair
{
    public void Start(LabNode node) => lab.Start(node);

    public void Kill(LabNode node) => lab.Kill(node);

    public void Stop(LabNode node) => lab.Stop(node);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Debian's keepalived with one VRRP instance for the same VIP: server1 priority 150 (preempting, like auto_failback
/// on), server2 100; advert_int = the keepalive (whole seconds, VRRPv2), so a backup takes over after 3 adverts.
/// </summary>
public sealed class KeepalivedPair(Lab lab, BenchOptions options) : IPair
{
    private readonly Dictionary<string, Process> _running = new(StringComparer.Ordinal);

    public void Start(LabNode node)
    {
        string dir = Path.Join(node.Directory, "keepalived");
        Directory.CreateDirectory(dir);
        string config = Path.Join(dir, "keepalived.conf");
        int advert = Math.Max(1, options.KeepaliveMilliseconds / 1000);
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            global_defs {
                router_id {{node.Name}}
                script_user root
                enable_script_security
            }
            vrrp_instance VI_1 {
                state BACKUP
                interface ens18
                virtual_router_id 51
                priority {{(node.Name == "server1" ? 150 : 100)}}
                advert_int {{advert}}
                virtual_ipaddress {
                    {{Trials.Vip}}/24 dev ens18
                }
            }

            """));
        var info = new ProcessStartInfo("ip");
        foreach (string arg in (string[])["netns", "exec", lab.Netns(node), "keepalived", "--dont-fork", "--log-console", "--vrrp",
            "--use-file", config, "--pid", Path.Join(dir, "keepalived.pid"), "--vrrp_pid", Path.Join(dir, "vrrp.pid")])
        {
            info.ArgumentList.Add(arg);
        }

        var (process, log) = Processes.StartLogged(info, Path.Join(dir, "keepalived.log"));
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => log.Dispose();
        _running[node.Name] = process;
    }

    public void Kill(LabNode node)
    {
        // keepalived and its VRRP child: both, at once.
        if (_running.Remove(node.Name, out var process))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            process.Dispose();
        }
    }

    public void Stop(LabNode node)
    {
        if (_running.Remove(node.Name, out var process))
        {
            Lab.Signal(process.Id, "TERM");
            process.WaitForExit(15_000);
            process.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var node in _running.Keys.ToList())
        {
            if (_running.Remove(node, out var process))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
                process.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }
}
