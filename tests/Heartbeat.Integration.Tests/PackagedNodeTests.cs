using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The .deb under a real systemd, on two booted Debian 12 hosts, checked with the tools an admin uses: apt-get,
/// systemctl, journalctl, chrt. Installed, configured from the package's examples with a key from <c>hbctl keygen</c>,
/// started with <c>systemctl enable --now</c> (Type=notify: it returns once the node is up), reloaded, stopped (the VIP
/// handed over with no outage), SIGSTOPped (the watchdog kills it, systemd restarts it, one holder at the end), removed
/// (a graceful stop) and purged (nothing left).
/// </summary>
public sealed class PackagedNodeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    // The article's files with faster timers (the article's keepalive 2 / deadtime 10 only make the test slower), the
    // peer's address for ucast (the article's 10.10.10.3 is server2 here; server2 sends to itself, as in the article),
    // and auto_failback on: between two of ours a graceful stop is then make-before-break (no client outage).
    private static readonly string[] HaCfEdits =
    [
        "s/^keepalive .*/keepalive 500ms/", "s/^deadtime .*/deadtime 3/", "$a warntime 2", "$a initdead 20", "$a auto_failback on",
    ];

    [Fact]
    public async Task The_package_under_systemd_starts_reloads_hands_over_recovers_from_a_stall_and_goes_cleanly()
    {
        await using var lab = new Lab("packaged node under systemd");
        var cluster = BootedCluster.Boot(lab);
        var (s1, s2) = (cluster.Hosts[0], cluster.Hosts[1]);

        // Installed with apt, as an admin does; without a configuration the unit does not start (a skipped condition).
        foreach (var host in cluster.Hosts)
        {
            host.Sh($"apt-get install -y -q {cluster.DebName}", TimeSpan.FromMinutes(3));
            host.Sh("systemctl start heartbeat");
            Assert.Equal("inactive", host.Run("systemctl", "is-active", "heartbeat").Output.Trim());
        }

        foreach (var host in cluster.Hosts)
        {
            host.Sh("dpkg -L heartbeatnet > /root/heartbeatnet.files");
        }

        cluster.Configure("/usr/share/doc/heartbeatnet/examples", HaCfEdits, keygen: true);
        Assert.Contains("WEAK KEY", s1.Run("hbctl", "check-config", "/usr/share/doc/heartbeatnet/examples").Output, StringComparison.OrdinalIgnoreCase);

        // systemctl start returns only once the node is up (READY=1 at communication up): it is active at that moment.
        await using var probe = new VipProbe(lab, [s1.Node, s2.Node], BootedCluster.Vip, cluster.Client);
        var starts = cluster.Hosts.Select(h => Task.Run(() =>
        {
            h.Sh("systemctl enable --now heartbeat", TimeSpan.FromSeconds(90));
            return h.Run("hbctl", "status", "--json").Output;
        })).ToArray();
        foreach (var (start, host) in starts.Zip(cluster.Hosts))
        {
            using var status = JsonDocument.Parse(await start);
            Assert.Equal("active", status.RootElement.GetProperty("nodeStatus").GetString());
            Assert.Equal("enabled", host.Run("systemctl", "is-enabled", "heartbeat").Output.Trim());
        }

        Assert.True(Lab.WaitUntil(() => probe.LastAnswer() == "server1", Wait), "the VIP never answered from server1\n" + cluster.Describe());

        // systemctl status shows the daemon's STATUS= line; the loop thread runs SCHED_FIFO under the shipped unit.
        string unitStatus = s1.Run("systemctl", "status", "heartbeat", "--no-pager").Output;
        Assert.Matches(@"Status: "".+""", unitStatus);
        output.WriteLine(unitStatus.Split('\n').First(l => l.Contains("Status:", StringComparison.Ordinal)).Trim());
        string threads = s1.Sh("for t in /proc/$(systemctl show -p MainPID --value heartbeat)/task/*; do echo \"$(cat $t/comm): $(chrt -p ${t##*/})\"; done");
        output.WriteLine(threads);
        Assert.Contains(threads.Split('\n'), l => l.Contains("SCHED_FIFO", StringComparison.Ordinal) && !l.StartsWith("group worker", StringComparison.Ordinal));

        // systemctl reload applies a timer change in place: nothing moves, the client sees no gap.
        var mark = probe.Now;
        s1.Sh("sed -i 's/^keepalive .*/keepalive 400ms/' /etc/ha.d/ha.cf && systemctl reload heartbeat");
        Assert.True(Lab.WaitUntil(() => Keepalive(s1) == 400, Wait), "the reload did not apply keepalive 400ms\n" + cluster.Describe());
        Thread.Sleep(1000);
        Assert.Equal("active", s1.Run("systemctl", "is-active", "heartbeat").Output.Trim());
        Assert.Equal(["server1"], probe.Holders());
        Assert.InRange(probe.LongestOutage(mark), TimeSpan.Zero, TimeSpan.FromMilliseconds(200));

        // systemctl stop on the holder: the graceful leave hands the VIP over with no client outage (make-before-break).
        mark = probe.Now;
        s1.Sh("systemctl stop heartbeat", TimeSpan.FromSeconds(90));
        Assert.True(Lab.WaitUntil(() => probe.Holders() is ["server2"] && probe.LastAnswer() == "server2", Wait), "server2 did not take the VIP at the stop\n" + cluster.Describe());
        var stopOutage = probe.LongestOutage(mark);
        output.WriteLine($"systemctl stop on the holder: client outage {stopOutage.TotalMilliseconds:F0} ms");
        // A generous bound (a takeover after the deadtime would be seconds): 220 ms was seen once on a loaded 2-core CI
        // machine while the booted host and its peer shared the cores; the figure itself belongs in bench/.
        Assert.InRange(stopOutage, TimeSpan.Zero, TimeSpan.FromMilliseconds(1000));
        s1.Sh("systemctl start heartbeat", TimeSpan.FromSeconds(90));
        Assert.True(Lab.WaitUntil(() => probe.Holders() is ["server1"], Wait), "auto_failback on: server1 did not get the VIP back\n" + cluster.Describe());

        // A stopped daemon (SIGSTOP) stops pinging the watchdog: systemd kills it and starts it again; meanwhile the
        // peer takes the VIP over (journalctl finds the takeover by its event), and the cluster ends with one holder.
        string pid = s1.Sh("systemctl show -p MainPID --value heartbeat").Trim();
        string restarts = Restarts(s1);
        Assert.True(restarts == "0", $"systemd restarted the daemon before the stall (NRestarts={restarts}):\n{s1.Run("journalctl", "-u", "heartbeat", "--no-pager", "-o", "short-precise").Output}");
        mark = probe.Now;
        s1.Sh($"kill -STOP {pid}");
        Assert.True(Lab.WaitUntil(() => Restarts(s1) != restarts, TimeSpan.FromSeconds(60)), "the watchdog did not restart the stopped daemon\n" + cluster.Describe());
        Assert.NotEqual(pid, s1.Sh("systemctl show -p MainPID --value heartbeat").Trim());
        string unitLog = s1.Run("journalctl", "-u", "heartbeat", "--no-pager", "-o", "cat").Output;
        Assert.True(unitLog.Contains("Watchdog timeout", StringComparison.Ordinal), "systemd did not log a watchdog timeout:\n" + unitLog[^Math.Min(unitLog.Length, 3000)..]);
        Assert.True(Lab.WaitUntil(() => probe.Holders().Length == 1 && s1.Run("systemctl", "is-active", "heartbeat").Output.Trim() == "active", Wait), $"not one holder after the restart: [{string.Join(",", probe.Holders())}]\n" + cluster.Describe());
        Thread.Sleep(2000);
        Assert.Single(probe.Holders());
        output.WriteLine($"SIGSTOP of the holder: {probe.Summary(mark)}");

        string takeovers = s2.Run("journalctl", "-u", "heartbeat", "HB_EVENT=takeover", "-o", "json", "--no-pager").Output;
        var takeover = takeovers.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).Last();
        Assert.Equal("server1", takeover.GetProperty("HB_PEER").GetString());
        Assert.Equal(BootedCluster.Vip, takeover.GetProperty("HB_GROUP").GetString());
        Assert.Equal("server2", takeover.GetProperty("HB_NODE").GetString());
        output.WriteLine($"journalctl HB_EVENT=takeover: {takeover.GetProperty("MESSAGE").GetString()}");

        // apt-get remove on the holder stops the daemon gracefully first (the peer gets a shutdown notice, not a death).
        string holder = probe.Holders()[0];
        var (leaving, staying) = holder == "server1" ? (s1, s2) : (s2, s1);
        mark = probe.Now;
        leaving.Sh("apt-get remove -y -q heartbeatnet", TimeSpan.FromMinutes(3));
        Assert.True(Lab.WaitUntil(() => probe.Holders() is [var h] && h == staying.Node.Name, Wait), "the peer did not take the VIP at the remove\n" + cluster.Describe());
        Assert.Contains($"Received shutdown notice from '{leaving.Node.Name}'", staying.Run("journalctl", "-u", "heartbeat", "--no-pager").Output, StringComparison.Ordinal);
        Assert.Contains("Heartbeat shutdown complete.", leaving.Run("journalctl", "-u", "heartbeat", "--no-pager").Output, StringComparison.Ordinal);
        output.WriteLine($"apt-get remove on the holder: client outage {probe.LongestOutage(mark).TotalMilliseconds:F0} ms");

        // purge leaves nothing of the package: no file it installed (dpkg -L lists directories too, and /lib is a
        // symlink to usr/lib on a merged-/usr Debian 12: those are the system's), no state, no unit.
        leaving.Sh("apt-get purge -y -q heartbeatnet", TimeSpan.FromMinutes(3));
        Assert.Equal(string.Empty, leaving.Sh("while read -r f; do if [ ! -d \"$f\" ] && { [ -f \"$f\" ] || [ -L \"$f\" ]; }; then echo \"$f\"; fi; done < /root/heartbeatnet.files").Trim());
        // /var/lib/heartbeat itself may stay: cluster-glue (in the root for the migration's 3.0.6) owns it, and its logd
        // keeps its socket log_daemon there. Nothing else in it that no installed package owns (hb_uuid, hb_generation,
        // whatever our daemon wrote there) may.
        Assert.Equal(string.Empty, leaving.Sh("find /var/lib/heartbeat -mindepth 1 ! -path /var/lib/heartbeat/log_daemon 2>/dev/null | while read -r f; do dpkg -S \"$f\" >/dev/null 2>&1 || echo \"$f\"; done").Trim());
        Assert.Equal(string.Empty, leaving.Run("systemctl", "list-unit-files", "heartbeat.service", "--no-legend").Output.Trim());
        Assert.Equal(string.Empty, leaving.Sh("find /etc/systemd/system -name 'heartbeat.service*'").Trim());
        Assert.NotEqual(0, leaving.Run("dpkg", "-s", "heartbeatnet").Code);
    }

    private static string Restarts(BootedHost host) => host.Run("systemctl", "show", "-p", "NRestarts", "--value", "heartbeat").Output.Trim();

    private static long Keepalive(BootedHost host)
    {
        var (code, json) = host.Run("hbctl", "status", "--json");
        if (code != 0)
        {
            return -1;
        }

        using var status = JsonDocument.Parse(json);
        return status.RootElement.GetProperty("config").GetProperty("keepaliveMilliseconds").GetInt64();
    }
}
