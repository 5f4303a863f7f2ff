using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Heartbeat.Integration.Tests.Support;
using Heartbeat.Protocol.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// A rolling migration as an admin does it, on two booted Debian 12 hosts running Debian's heartbeat 3.0.6 with the
/// article's files while a client connects to the VIP every 20 ms: on each host in turn (the one without the VIP
/// first) <c>apt-get install ./heartbeatnet_*.deb</c>, which removes heartbeat (its prerm stops 3.0.6 gracefully),
/// keeps /etc/ha.d and /var/lib/heartbeat, and starts ours (postinst, the node being configured). The cluster never has
/// two holders, each node comes back with its uuid, and the clients' total outage is measured against one 3.0.6
/// graceful handover measured first on the same hosts. With <c>hb_standby</c> first (auto_failback on, the only mode
/// 3.0.6's standby works in), the holder hands over before it is migrated: that is the admin's way to the smallest
/// outage, and its figure is reported too.
/// </summary>
public sealed class RollingMigrationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Each_host_in_turn_replaces_heartbeat_with_ours_keeping_its_identity_and_one_holder(bool standbyFirst)
    {
        var clock = Stopwatch.StartNew();
        void Phase(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
        await using var lab = new Lab($"rolling migration{(standbyFirst ? " with hb_standby" : string.Empty)}");
        var cluster = BootedCluster.Boot(lab);
        Phase("two hosts booted");
        var (s1, s2) = (cluster.Hosts[0], cluster.Hosts[1]);

        // Debian's heartbeat (installed offline from the root's apt cache) with the article's files: a legacy cluster
        // (no auto_failback line) unless hb_standby is to be used, which 3.0.6 implements only with nice_failback.
        string[] edits = ["s/^keepalive .*/keepalive 500ms/", "s/^deadtime .*/deadtime 3/", "$a warntime 2", "$a initdead 20"];
        if (standbyFirst)
        {
            edits = [.. edits, "$a auto_failback on"];
        }

        foreach (var host in cluster.Hosts)
        {
            foreach (string file in new[] { "ha.cf", "authkeys" })
            {
                File.Copy(Path.Join(TestPaths.RepositoryRoot, "etc", "ha.d", file), Path.Join(host.Share, file));
            }

            // The article's VIP with its NIC named: 3.0.6's IPaddr assumes eth0 and fails on ens18 (hbctl check-config
            // says so about the article's "server1 10.10.10.1" and suggests this form).
            File.WriteAllText(Path.Join(host.Share, "haresources"), $"server1 IPaddr2::{BootedCluster.Vip}/24/ens18\n");
        }

        // Its dependencies are in the cached root already (lab/host.sh): this unpacks heartbeat alone, on both at once.
        await Task.WhenAll(cluster.Hosts.Select(h => Task.Run(() => h.Sh("apt-get install -y -q --no-download --no-install-recommends heartbeat", TimeSpan.FromMinutes(4)))));

        Phase("Debian's heartbeat installed on both");
        cluster.Configure("/mnt/lab", edits, keygen: false);
        await using var probe = new VipProbe(lab, [s1.Node, s2.Node], BootedCluster.Vip, cluster.Client);
        var starts = cluster.Hosts.Select(h => Task.Run(() => h.Sh("systemctl restart heartbeat"))).ToArray();
        await Task.WhenAll(starts);
        Assert.True(Lab.WaitUntil(() => probe.LastAnswer() == "server1" && probe.Holders() is ["server1"], Wait), "3.0.6 never placed the VIP on server1\n" + cluster.Describe());
        Phase("3.0.6 holds the VIP on server1");
        Thread.Sleep(3000);

        // The yardstick: one 3.0.6 graceful handover (systemctl stop on the holder), then the VIP back on server1.
        var mark = probe.Now;
        s1.Sh("systemctl stop heartbeat", TimeSpan.FromMinutes(2));
        Assert.True(Lab.WaitUntil(() => probe.LastAnswer() == "server2", Wait), "3.0.6 did not hand the VIP over\n" + cluster.Describe());
        var yardstick = probe.LongestOutage(mark);
        s1.Sh("systemctl start heartbeat");
        Assert.True(Lab.WaitUntil(() => probe.Holders() is ["server1"] && probe.LastAnswer() == "server1", Wait), "the VIP did not fail back to server1\n" + cluster.Describe());

        Phase($"3.0.6 graceful handover measured: {yardstick.TotalMilliseconds:F0} ms; the VIP back on server1");
        Thread.Sleep(3000);
        var identities = cluster.Hosts.ToDictionary(h => h.Node.Name, Identity);

        // What scripts see on each node under 3.0.6, to compare with ours on the same node in the same role later:
        // server1 holding its home group, server2 holding nothing, the peer up.
        var realHolder = CompatSnapshot(s1, s2);
        var realIdle = CompatSnapshot(s2, s1);

        // The migration, the host without the VIP first.
        var start = probe.Now;
        Migrate(s2);
        Assert.True(Lab.WaitUntil(() => probe.Holders() is ["server1"] && probe.LastAnswer() == "server1", Wait), "the VIP moved when server2 was migrated\n" + cluster.Describe());
        Phase("server2 migrated");
        Thread.Sleep(3000);
        // The mixed cluster: ours on server2 beside a real 3.0.6 server1 that holds the group, as the real tools were.
        var compatDifferences = CompatSame("server2 holding nothing", realIdle, CompatSnapshot(s2, s1));
        if (standbyFirst)
        {
            s1.Sh("/usr/share/heartbeat/hb_standby all");
            Assert.True(Lab.WaitUntil(() => probe.Holders() is ["server2"] && probe.LastAnswer() == "server2", Wait), "hb_standby on server1 did not hand the VIP to server2\n" + cluster.Describe());
        }

        // From here server1 is replaced too, and the move back to it is between two of ours: a planned move of an
        // address-only group there is make-before-break (README, Differences), the taker's address up a moment before
        // the giver's goes (the probe saw it once in a CI rehearsal). Before it, with a 3.0.6 node in every move, never two.
        var bothOurs = probe.Now;
        Migrate(s1);
        Phase("server1 migrated");
        Assert.True(Lab.WaitUntil(() => probe.Holders() is ["server1"] && probe.LastAnswer() == "server1", Wait), "the VIP did not end on server1, its home, after the migration\n" + cluster.Describe());
        Thread.Sleep(3000);
        Assert.Equal(["server1"], probe.Holders());

        // Ours on server1 holding its home group, the peer up: the role the real tools had on it before its migration.
        compatDifferences.AddRange(CompatSame("server1 holding its home group", realHolder, CompatSnapshot(s1, s2)));

        // Never two holders; each node is the same node (uuid) with a newer generation, and its peer sees it as one of ours.
        Assert.Equal(1, probe.MostHolders(start, bothOurs));
        Assert.True(probe.LongestDoubleHold(bothOurs) <= TimeSpan.FromSeconds(1), "a double hold longer than a make-before-break handover\n" + probe.Summary(bothOurs));
        foreach (var host in cluster.Hosts)
        {
            using var status = JsonDocument.Parse(host.Sh("hbctl status --json"));
            var (uuid, generation) = identities[host.Node.Name];
            Assert.Equal(uuid, status.RootElement.GetProperty("uuid").GetString()!.Replace("-", string.Empty, StringComparison.Ordinal));
            Assert.True(status.RootElement.GetProperty("generation").GetUInt64() > generation, $"{host.Node.Name}: the generation did not grow past 3.0.6's {generation}");
            var peer = status.RootElement.GetProperty("peers")[0];
            Assert.Equal("active", peer.GetProperty("status").GetString());
        }

        var total = probe.TotalOutage(start);
        output.WriteLine($"{(standbyFirst ? "auto_failback on, hb_standby first" : "article (legacy)")}: one 3.0.6 graceful handover {yardstick.TotalMilliseconds:F0} ms; " +
            $"whole migration: total client outage {total.TotalMilliseconds:F0} ms, longest {probe.LongestOutage(start).TotalMilliseconds:F0} ms, {probe.Successes(start)} connections");
        Assert.InRange(total, TimeSpan.Zero, yardstick + TimeSpan.FromMilliseconds(200));
        Assert.True(compatDifferences.Count == 0, "the compat commands differ from 3.0.6's:\n" + string.Join('\n', compatDifferences));
    }

    /// <summary>
    /// What a monitoring check or an ops script sees on a node, with the node's own name and its peer's replaced (the
    /// same role can only be observed on different nodes): the real 3.0.6 commands on a 3.0.6 node, the package's front
    /// ends on ours. Compared only between the same cluster state seen from the same role (holder of its home group,
    /// or holding nothing, the peer up in both). The cl_status verbs are those Checkmk's agent runs for every node
    /// (listnodes, nodetype, nodestatus, listhblinks, hblinkstatus) and for the node (hbstatus, rscstatus), with their
    /// -m/-v forms and the errors of a wrong node or link; then ResourceManager's listkeys and status, and the argument
    /// checks of hb_standby and hb_takeover (their live requests move groups: the migration itself runs hb_standby).
    /// </summary>
    private static List<(string Command, int Code, string Output)> CompatSnapshot(BootedHost self, BootedHost peer)
    {
        const string Rm = "/usr/share/heartbeat/ResourceManager";
        string resource = $"IPaddr2::{BootedCluster.Vip}/24/ens18";
        string[][] commands =
        [
            ["cl_status", "hbstatus"], ["cl_status", "listnodes"], ["cl_status", "listnodes", "-n"], ["cl_status", "rscstatus"], ["cl_status", "rscstatus", "-m"],
            ["cl_status", "nodestatus", "PEER"], ["cl_status", "nodestatus", "SELF"], ["cl_status", "nodestatus", "-m", "PEER"],
            ["cl_status", "nodetype", "PEER"], ["cl_status", "nodetype", "SELF"], ["cl_status", "listhblinks", "PEER"],
            ["cl_status", "listhblinks", "-v", "PEER"], ["cl_status", "hblinkstatus", "PEER", "ens18"], ["cl_status", "hblinkstatus", "-m", "PEER", "ens18"],
            ["cl_status", "nodestatus", "nosuchnode"], ["cl_status", "hblinkstatus", "PEER", "eth9"],
            [Rm, "listkeys", "server1"], [Rm, "listkeys", "server2"], ["STDOUT", Rm, "status", resource], [Rm, "nosuchverb"],
            ["/usr/share/heartbeat/hb_standby", "nosuchset"], ["/usr/share/heartbeat/hb_standby", "all", "local"], ["/usr/share/heartbeat/hb_standby", "--help"],
            ["/usr/share/heartbeat/hb_takeover", "nosuchset"], ["/usr/share/heartbeat/hb_takeover", "all", "local"], ["/usr/share/heartbeat/hb_takeover", "--help"],
        ];
        return [.. commands.Select(command =>
        {
            string[] filled = [.. command.Select(a => a switch { "SELF" => self.Node.Name, "PEER" => peer.Node.Name, _ => a })];

            // STDOUT: what is printed and the exit code, not stderr (3.0.6's status verb passes on its agent's log line).
            var (code, text) = filled[0] == "STDOUT" ? self.Run(["sh", "-c", "\"$@\" 2>/dev/null", "sh", .. filled[1..]]) : self.Run(filled);
            string neutral = text.Replace(self.Node.Name, "SELF", StringComparison.Ordinal).Replace(peer.Node.Name, "PEER", StringComparison.Ordinal).TrimEnd();

            // cl_log's stamp and pid ("Dec 07 12:38:46 SELF cl_status: [1434]: ERROR: …") differ from run to run.
            neutral = Regex.Replace(neutral, @"(?m)^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d SELF cl_status: \[\d+\]: ", "STAMP SELF cl_status: [PID]: ");
            return (string.Join(' ', command), code, neutral);
        })];
    }

    /// <summary>The real 3.0.6 tools' results and ours, command by command, for one role; every line printed, differences fail.</summary>
    private List<string> CompatSame(string role, List<(string Command, int Code, string Output)> real, List<(string Command, int Code, string Output)> ours)
    {
        var differences = new List<string>();
        foreach (var (r, o) in real.Zip(ours))
        {
            string line = $"[{role}] {r.Command}: 3.0.6 {r.Code} '{r.Output.ReplaceLineEndings("\\n")}', ours {o.Code} '{o.Output.ReplaceLineEndings("\\n")}'";
            output.WriteLine(line);
            if (r.Code != o.Code || r.Output != o.Output)
            {
                differences.Add(line);
            }
        }

        return differences;
    }

    /// <summary>apt-get install of our package on a host running Debian's heartbeat: ours must run afterwards, by itself.</summary>
    private static void Migrate(BootedHost host)
    {
        host.Sh($"apt-get install -y -q /mnt/lab/{Path.GetFileName(BootedCluster.Deb())}", TimeSpan.FromMinutes(4));
        // Removed, not purged: dpkg-query says config-files (dpkg -s would still exit 0); /etc/ha.d is what ours runs with.
        string state = host.Run("dpkg-query", "-W", "-f=${db:Status-Status}", "heartbeat").Output.Trim();
        Assert.True(state is "config-files" or "not-installed" || state.Contains("no packages found", StringComparison.Ordinal), $"{host.Node.Name}: heartbeat is still {state} after ours was installed");
        Assert.True(
            Lab.WaitUntil(() => host.Run("hbctl", "status", "--json") is (0, var json) && json.Contains("\"nodeStatus\": \"active\"", StringComparison.Ordinal), Wait),
            $"{host.Node.Name}: ours is not running after the install\n{host.Run("journalctl", "-u", "heartbeat", "--no-pager", "-n", "40").Output}");
    }

    /// <summary>3.0.6's identity of the node: hb_uuid as hex, hb_generation.</summary>
    private static (string Uuid, ulong Generation) Identity(BootedHost host)
    {
        string uuid = host.Sh("od -An -tx1 /var/lib/heartbeat/hb_uuid | tr -d ' \\n'").Trim();
        string generation = host.Sh("cat /var/lib/heartbeat/hb_generation").Trim(); // decimal text, 15 columns
        return (uuid, ulong.TryParse(generation, NumberStyles.None, CultureInfo.InvariantCulture, out ulong g) ? g : 0);
    }
}
