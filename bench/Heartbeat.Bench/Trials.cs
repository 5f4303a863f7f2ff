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

    /// <summary>The IPv6 scenarios' VIP, on the lab's fd00::/64 (each node fd00::N, the client fd00::99).</summary>
    public const string Vip6 = "fd00::50";

    /// <summary><see cref="Vip6"/> as 3.0.6's resource line must spell it (a '::' would be split as argument separators).</summary>
    public const string Vip6Resource = "IPv6addr::fd00:0:0:0:0:0:0:50/64/ens18";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(10);

    public static async Task<TrialResult> RunAsync(Implementation implementation, Scenario scenario, int trial, BenchOptions options)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        string name = BenchOptions.Name(scenario);
        bool v6 = BenchOptions.Ipv6(scenario);
        string vip = v6 ? Vip6 : Vip;
        var fault = BenchOptions.Fault(scenario);
        try
        {
            await using var lab = NewLab($"bench {impl} {name} {trial}", options, v6 ? $"server1 {Vip6Resource}\n" : $"server1 IPaddr2::{Vip}/24/ens18\n");
            var nodes = lab.Declare(implementation == Implementation.Real, implementation == Implementation.Real);
            var (holder, taker) = (nodes[0], nodes[1]);
            string client = lab.AddOutsider();
            if (v6)
            {
                // Addresses of their own on the VIP's prefix, without DAD (the lab's, as the IPv6 tests set them up).
                foreach (var node in nodes)
                {
                    InNetns(lab.Netns(node), "ip", "-6", "addr", "add", "fd00::" + node.Address.Split('.')[^1] + "/64", "dev", "ens18", "nodad");
                }

                InNetns(client, "ip", "-6", "addr", "add", "fd00::99/64", "dev", "ens18", "nodad");
            }

            await using var pair = implementation == Implementation.Keepalived ? (IPair)new KeepalivedPair(lab, options, v6) : new HeartbeatPair(lab);
            pair.Start(holder);
            pair.Start(taker);
            await using var probe = new VipProbe(lab, nodes, vip, client, ProbeInterval, overlapping: true);
            if (!Lab.WaitUntil(() => probe.Holders() is [var h] && h == holder.Name && probe.LastAnswer() == holder.Name, Wait))
            {
                return Failed("server1 never held the VIP alone");
            }

            // 3.0.6 advertises deadtime + 2 s for 5 s after its start; let every implementation settle the same way.
            // The capture starts first, so it holds the victim's last heartbeats before the fault.
            using var timeline = fault is Scenario.CrashLinksCut or Scenario.CrashKilled ? Timeline(lab, implementation, taker, holder) : null;
            Thread.Sleep(6000);
            var mark = probe.Now;
            switch (fault)
            {
                case Scenario.CrashLinksCut:
                case Scenario.PartitionHeal:
                    lab.Link(holder, up: false);
                    break;
                case Scenario.CrashKilled:
                case Scenario.Failback:
                    // A power-off: the daemon gone and its VIP with it.
                    pair.Kill(holder);
                    // keepalived's IPv6 instance carries the IPv4 VIP too (KeepalivedPair): gone with the machine as well.
                    if (v6)
                    {
                        Processes.Run(["ip", "netns", "exec", lab.Netns(holder), "ip", "-6", "addr", "del", Vip6 + "/64", "dev", "ens18"], TimeSpan.FromSeconds(10));
                    }

                    if (!v6 || implementation == Implementation.Keepalived)
                    {
                        Processes.Run(["ip", "netns", "exec", lab.Netns(holder), "ip", "addr", "del", Vip + "/24", "dev", "ens18"], TimeSpan.FromSeconds(10));
                    }

                    break;
                case Scenario.GracefulStop:
                    pair.Stop(holder);
                    break;
                case Scenario.Standby:
                    pair.Standby(holder);
                    break;
            }

            if (!Lab.WaitUntil(() => probe.LastAnswer() == taker.Name, Wait))
            {
                return Failed($"{taker.Name} never answered after the {name}");
            }

            double? settled = null;
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
            else if (scenario == Scenario.PartitionHeal)
            {
                // Both sides hold the VIP now (the isolated holder cannot know); heal, then wait until one holder is
                // left and has answered the client for 3 s in a row.
                Thread.Sleep(2000);
                mark = probe.Now;
                lab.Link(holder, up: true);
                if (!Lab.WaitUntil(() => probe.SingleHolderSince(mark) is { } since && probe.Now - since > TimeSpan.FromSeconds(3) && probe.LastAnswer() == probe.Holders()[0], Wait))
                {
                    return Failed("no single holder after the heal");
                }

                settled = (probe.SingleHolderSince(mark)!.Value - mark).TotalMilliseconds;
            }

            Thread.Sleep(500);
            var breakdown = timeline?.Read(probe.WallClock(mark), probe.FirstAnswerBy(taker.Name, mark) is { } back ? probe.WallClock(back) : null, vip);
            timeline?.Save(Path.Join(options.Output, "trials", $"{name}-{impl}-{trial}"));
            return new TrialResult(impl, name, trial, true, probe.LongestOutage(mark).TotalMilliseconds, probe.LongestDoubleHold(mark).TotalMilliseconds, null)
            {
                Breakdown = breakdown,
                SingleHolderAfterMilliseconds = settled,
                Restarted = scenario == Scenario.PartitionHeal && pair.Restarted(holder, taker),
            };
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            return Failed(ex.Message);
        }

        TrialResult Failed(string why) => new(impl, name, trial, false, double.NaN, double.NaN, why);
    }

    /// <summary>A fresh lab with the benchmark's timers (the same ha.cf for every implementation), auto_failback on.</summary>
    internal static Lab NewLab(string purpose, BenchOptions options, string haresources) => new(purpose)
    {
        Keepalive = TimeSpan.FromMilliseconds(options.KeepaliveMilliseconds),
        DeadtimeSeconds = options.DeadtimeSeconds,
        Deadtime = options.DeadtimeMilliseconds is { } deadtime ? TimeSpan.FromMilliseconds(deadtime) : null,
        Warntime = options.Warntime,
        InitdeadSeconds = Math.Max(options.DeadtimeSeconds * 2, 6),
        AutoFailback = "on",
        Haresources = haresources,
    };

    /// <summary>The log a heartbeat node writes in 3.0.6's format (ha.cf's logfile: ours and 3.0.6 alike), or keepalived's output.</summary>
    internal static string HaLog(LabNode node, Implementation implementation) =>
        implementation == Implementation.Keepalived ? KeepalivedPair.LogPath(node) : Path.Join(node.Directory, "log", "ha-log");

    /// <summary>Milliseconds from <paramref name="origin"/> to <paramref name="at"/> (null when either is unknown).</summary>
    internal static double? Since(DateTimeOffset? at, DateTimeOffset origin) => at is { } a ? (a - origin).TotalMilliseconds : null;

    /// <summary>The first address line of <paramref name="monitor"/> adding (or deleting) <paramref name="address"/> after <paramref name="after"/>.</summary>
    internal static DateTimeOffset? AddressChange(AddressMonitor monitor, string address, bool added, DateTimeOffset after) =>
        monitor.Lines(address)
            .Where(l => l.Contains("Deleted", StringComparison.Ordinal) != added)
            .Select(l => TakeoverTimeline.MonitorTime(l, utc: true))
            .FirstOrDefault(t => t > after);

    /// <summary>The first gratuitous ARP for <paramref name="vip"/> in <paramref name="capture"/> after <paramref name="after"/>.</summary>
    internal static DateTimeOffset? FirstArp(PacketCapture capture, string vip, DateTimeOffset after) =>
        capture.Lines().Where(l => TakeoverTimeline.Announces(l, vip))
            .Select(TakeoverTimeline.CaptureTime)
            .FirstOrDefault(t => t > after);

    private static void InNetns(string netns, params string[] command)
    {
        var (code, _, error) = Processes.Run(["ip", "netns", "exec", netns, .. command], TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} in {netns}: {error}");
        }
    }

    /// <summary>The survivor's view of a crash takeover; each implementation says "dead" in its own words.</summary>
    private static TakeoverTimeline Timeline(Lab lab, Implementation implementation, LabNode survivor, LabNode victim) => implementation switch
    {
        // Ours writes ha.cf's logfile itself (3.0.6's format), like 3.0.6; its stderr goes through a pipe.
        Implementation.Ours => new TakeoverTimeline(lab, survivor, victim, Path.Join(survivor.Directory, "log", "ha-log"), null),
        Implementation.Real => new TakeoverTimeline(lab, survivor, victim, survivor.LogPath, $"node {victim.Name}: is dead"),
        _ => new TakeoverTimeline(lab, survivor, victim, KeepalivedPair.LogPath(survivor), "Entering MASTER STATE"),
    };
}

/// <summary>A pair of nodes running one implementation.</summary>
public interface IPair : IAsyncDisposable
{
    void Start(LabNode node);

    /// <summary>SIGKILL of the daemon (its VIP left behind: the caller removes addresses for a power-off).</summary>
    void Kill(LabNode node);

    /// <summary>A graceful stop (SIGTERM).</summary>
    void Stop(LabNode node);

    /// <summary>The operator hands the node's resources to the peer (hb_standby, hbctl standby; keepalived: priority down).</summary>
    void Standby(LabNode node);

    /// <summary>Whether either daemon restarted itself during the trial (3.0.6 does after a healed partition).</summary>
    bool Restarted(params LabNode[] nodes);
}

/// <summary>Heartbeat, ours or real 3.0.6, as the integration tests run it; ours with <paramref name="oursArguments"/> first, if any.</summary>
public sealed class HeartbeatPair(Lab lab, params string[] oursArguments) : IPair
{
    public void Start(LabNode node)
    {
        if (node.Real || oursArguments.Length == 0)
        {
            lab.Start(node);
            return;
        }

        lab.StartOurs(node, Path.Join(node.Directory, "etc"), Path.Join(node.Directory, "state"), oursArguments);
    }

    public void Kill(LabNode node) => lab.Kill(node);

    public void Stop(LabNode node) => lab.Stop(node);

    public void Standby(LabNode node)
    {
        if (node.Real)
        {
            lab.RunInReal(node, "/usr/share/heartbeat/hb_standby", "all");
            return;
        }

        var (code, output) = Lab.RunHbctl(node, "standby", "all");
        if (code != 0)
        {
            throw new InvalidOperationException($"hbctl standby all: {output}");
        }
    }

    /// <summary>Each start logs "Starting heartbeat" (3.0.6: "… Starting heartbeat 3.0.6"); a second one is a restart.</summary>
    public bool Restarted(params LabNode[] nodes) => nodes.Any(n => System.Text.RegularExpressions.Regex.Count(n.Log(), "Starting heartbeat") > 1);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Debian's keepalived with one VRRP instance for the same VIP: server1 priority 150 (preempting, like auto_failback
/// on), server2 100; advert_int = the keepalive (whole seconds, VRRPv2), so a backup takes over after 3 adverts.
/// </summary>
/// With a <see cref="PublicSide"/> (the uplink scenario) the VIP lives on the public link and a <c>vrrp_script</c>
/// pinging the gateway lowers the priority by 100 when it fails (see <see cref="GatewayCheck"/>).
/// The scale benchmark passes <see cref="Addresses"/>: its VIPs (one instance with all of them, or one instance per VIP)
/// and whether the instances preempt.
public sealed class KeepalivedPair(Lab lab, BenchOptions options, bool ipv6 = false, PublicSide? publicSide = null, KeepalivedAddresses? addresses = null) : IPair
{
    private readonly Dictionary<string, Process> _running = new(StringComparer.Ordinal);

    public static string LogPath(LabNode node) => Path.Join(node.Directory, "keepalived", "keepalived.log");

    /// <summary>keepalived's track_file: 1 × weight −100 takes server1 from 150 to 50, below server2's 100.</summary>
    private static string StandbyFile(LabNode node) => Path.Join(node.Directory, "keepalived", "standby");

    /// <summary>keepalived has no standby command: its operator lowers the priority, and the preempting peer takes over.</summary>
    public void Standby(LabNode node) => File.WriteAllText(StandbyFile(node), "1\n");

    /// <summary>keepalived never restarts itself.</summary>
    public bool Restarted(params LabNode[] nodes) => false;

    public void Start(LabNode node)
    {
        string dir = Path.Join(node.Directory, "keepalived");
        Directory.CreateDirectory(dir);
        File.WriteAllText(LogPath(node), string.Empty);
        File.WriteAllText(StandbyFile(node), "0\n");
        string config = Path.Join(dir, "keepalived.conf");
        // Whole seconds as VRRPv2 (the comparison at 1 s); faster adverts need VRRPv3, whose advert_int counts in
        // centiseconds (keepalived's fastest setting is 0.01 s).
        double advert = Math.Max(0.01, Math.Round(options.KeepaliveMilliseconds / 1000.0, 2));
        string version = advert < 1 ? "    vrrp_version 3\n" : string.Empty;

        // The IPv6 VIP rides on the same IPv4 VRRP instance, so that detection is the very same as in the IPv4
        // trials (one instance cannot mix families in virtual_ipaddress; the excluded list, not carried in the
        // adverts, can). keepalived adds it and sends unsolicited neighbour advertisements for it on becoming master.
        string excluded = ipv6 ? $"    virtual_ipaddress_excluded {{\n        {Trials.Vip6}/64 dev ens18\n    }}\n" : string.Empty;
        string vip = publicSide is { } side ? $"{side.Vip}/24 dev {side.Device}" : $"{Trials.Vip}/24 dev ens18";
        string trackScript = publicSide is null ? string.Empty : "    track_script {\n        chk_gw\n    }\n";
        string preempt = addresses is { Preempt: false } ? "    nopreempt\n" : string.Empty;
        IReadOnlyList<IReadOnlyList<string>> instances = addresses is { } a
            ? a.InstancePerVip ? [.. a.Vips.Select(v => (IReadOnlyList<string>)[$"{v}/24 dev ens18"])] : [[.. a.Vips.Select(v => $"{v}/24 dev ens18")]]
            : [[vip]];
        string blocks = string.Concat(instances.Select((lines, i) => string.Create(CultureInfo.InvariantCulture, $$"""
            vrrp_instance VI_{{i + 1}} {
                state BACKUP
                interface ens18
                virtual_router_id {{51 + i}}
                priority {{(node.Name == "server1" ? 150 : 100)}}
                advert_int {{advert.ToString(CultureInfo.InvariantCulture)}}
            {{preempt}}    virtual_ipaddress {
            {{string.Concat(lines.Select(l => "        " + l + "\n"))}}    }
            {{excluded}}    track_file {
                    standby
                }
            {{trackScript}}}

            """)));
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            global_defs {
            {{version}}    router_id {{node.Name}}
                script_user root
                enable_script_security
            }
            track_file standby {
                file {{StandbyFile(node)}}
                weight -100
            }
            {{GatewayCheck()}}{{blocks}}
            """));
        var info = new ProcessStartInfo("ip");
        // bash notes the moment of the exec, as the lab does for both heartbeats (Lab.ExecStamp).
        foreach (string arg in (string[])["netns", "exec", lab.Netns(node), "bash", "-c", "echo \"$EPOCHREALTIME\" > \"$0\" && exec \"$@\"", Lab.ExecStampPath(node), "keepalived", "--dont-fork", "--log-console", "--vrrp",
            "--use-file", config, "--pid", Path.Join(dir, "keepalived.pid"), "--vrrp_pid", Path.Join(dir, "vrrp.pid")])
        {
            info.ArgumentList.Add(arg);
        }

        var (process, log) = Processes.StartLogged(info, LogPath(node));
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => log.Dispose();
        _running[node.Name] = process;
    }

    public void Kill(LabNode node) => Kill(node.Name);

    /// <summary>
    /// keepalived's counterpart of <c>ping GW</c> + <c>deadping</c> + ipfail: one echo to the gateway per keepalive (the
    /// script's interval), each allowed just under the interval so that a failing run never overlaps the next
    /// (keepalived would skip that run), and "down" after as many failures in a row as span the deadping (= deadtime).
    /// A weight rather than a fault: like ipfail it compares the two sides (both losing the gateway moves nothing,
    /// where a fault would leave the VIP nowhere), and the peer, now of higher priority, preempts.
    /// </summary>
    private string GatewayCheck()
    {
        if (publicSide is not { } side)
        {
            return string.Empty;
        }

        int interval = Math.Max(1, options.KeepaliveMilliseconds / 1000);
        int fall = Math.Max(1, (int)Math.Ceiling(options.EffectiveDeadtimeMilliseconds / (interval * 1000.0)));
        string wait = (interval * 0.9).ToString("0.0", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $$"""
            vrrp_script chk_gw {
                script "/usr/bin/timeout {{wait}} /usr/bin/ping -c 1 -W {{interval}} {{side.Gateway}}"
                interval {{interval}}
                fall {{fall}}
                rise 1
                weight -100
            }

            """);
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
        foreach (string name in _running.Keys.ToList())
        {
            Kill(name);
        }

        return ValueTask.CompletedTask;
    }

    private void Kill(string name)
    {
        // keepalived and its VRRP child: both, at once.
        if (_running.Remove(name, out var process))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            process.Dispose();
        }
    }
}

/// <summary>The scale benchmark's VIPs for keepalived: one instance with all of them or one per VIP, preempting or not.</summary>
public sealed record KeepalivedAddresses(IReadOnlyList<string> Vips, bool InstancePerVip, bool Preempt);

/// <summary>The uplink scenario's public side for keepalived: the VIP, the link it lives on, the gateway it pings.</summary>
public sealed record PublicSide(string Vip, string Device, string Gateway);
