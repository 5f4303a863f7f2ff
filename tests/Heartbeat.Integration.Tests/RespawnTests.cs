using System.Globalization;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// ha.cf's respawn lines in a running daemon: a child as its user with stdio on /dev/null, SIGTERM at shutdown; a child
/// that keeps exiting quickly is restarted until the 11th exit ("respawning too fast"); exit 100 is not restarted;
/// ipfail is not spawned (it is built in).
/// </summary>
public class RespawnTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Respawn_children_restart_stop_after_exit_100_give_up_when_too_fast_and_get_SIGTERM_at_shutdown()
    {
        await using var lab = new Lab("respawn");
        string fast = Path.Join(lab.Directory, "fast-runs");
        string once = Path.Join(lab.Directory, "once-runs");
        string term = Path.Join(lab.Directory, "term");
        Directory.CreateDirectory(lab.Directory);
        string sleeper = Path.Join(lab.Directory, "sleeper");
        File.WriteAllText(sleeper, $"#!/bin/sh\ntrap 'echo term > {term}; exit 0' TERM\nwhile :; do sleep 0.1; done\n");
        File.SetUnixFileMode(sleeper, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(lab.Directory, (UnixFileMode)0b111_111_111);
        lab.HaCfText = node => string.Join('\n',
            "keepalive 200ms", "deadtime 1", "warntime 1", "initdead 2", "udpport 694", "bcast ens18", "auto_failback on", "crm off",
            $"logfile {node.Directory}/log/ha-log",
            $"respawn root /bin/sh -c 'echo run >> {fast}; exit 1'",
            $"respawn root /bin/sh -c 'echo run >> {once}; exit 100'",
            $"respawn nobody {sleeper}",
            "respawn hacluster /usr/lib/heartbeat/ipfail",
            "node server1", string.Empty);
        var node = lab.Declare(false)[0];
        Directory.CreateDirectory(Path.Join(node.Directory, "log"));
        lab.Start(node);

        // Eleven runs 1 s apart (the pause after a quick exit), then "respawning too fast" and no twelfth.
        Assert.True(Lab.WaitForLog(node, "\"respawning too fast\"", TimeSpan.FromSeconds(40)), lab.Describe());
        Thread.Sleep(2500);
        Assert.Equal(11, File.ReadAllLines(fast).Length);
        Assert.Single(File.ReadAllLines(once));
        Assert.Contains("ipfail is built into HeartbeatNet (enabled by this line); nothing is spawned", node.Log(), StringComparison.Ordinal);

        var (code, json) = Lab.RunHbctl(node, "status", "--json");
        Assert.True(code == 0, json);
        output.WriteLine(json);
        var respawns = JsonDocument.Parse(json).RootElement.GetProperty("respawns").EnumerateArray().ToArray();
        Assert.Equal(["respawning too fast", "stopped", "running", "not run"], respawns.Select(r => r.GetProperty("state").GetString()));
        Assert.Equal(11, respawns[0].GetProperty("restarts").GetInt32());
        Assert.Equal("exit 100", respawns[1].GetProperty("lastExit").GetString());

        // The long-running child runs as nobody, with stdin, stdout and stderr on /dev/null.
        int pid = respawns[2].GetProperty("pid").GetInt32();
        string status = File.ReadAllText($"/proc/{pid}/status");
        Assert.Contains("Uid:\t65534\t65534\t65534\t65534", status, StringComparison.Ordinal);
        foreach (int fd in (int[])[0, 1, 2])
        {
            Assert.Equal("/dev/null", new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget);
        }

        lab.Stop(node);
        Assert.True(Lab.WaitUntil(() => File.Exists(term), TimeSpan.FromSeconds(10)), "the child got no SIGTERM at shutdown");
        Assert.False(Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}")) && File.ReadAllText($"/proc/{pid}/status").Contains("State:\tS", StringComparison.Ordinal), "the child outlived the daemon");
    }
}
