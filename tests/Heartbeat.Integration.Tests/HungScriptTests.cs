using System.Globalization;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// A resource script that hangs in its start on the home node: killed (with its children) at the script timeout, the
/// group undone and reported failed, and the peer (ours or a real 3.0.6) takes the group over, as policy says of a
/// failed start; the group does not bounce back.
/// </summary>
public class HungScriptTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Theory]
    [InlineData(Pairing.OursAndReal)]
    [InlineData(Pairing.OursAndOurs)]
    public async Task A_start_hanging_on_the_home_node_is_killed_at_the_timeout_and_the_peer_takes_the_group(Pairing pairing)
    {
        await using var lab = new Lab($"hung script {pairing}")
        {
            Haresources = $"server1 IPaddr2::{Vip1}/24/ens18 Stuck::db\nserver2 IPaddr2::{Vip2}/24/ens18\n",
            AutoFailback = "on",
        };
        var nodes = Declare(lab, pairing);
        var (home, peer) = (nodes[0], nodes[1]);
        string hungPid = Path.Join(home.Directory, "stuck.pid");
        string peerState = Path.Join(peer.Directory, "stuck.running");

        // On the home node the start never returns (a mount that hangs, a service waiting for a dead dependency).
        home.InstallResourceScript("Stuck", $$"""
            #!/bin/sh
            case "$2" in
              start) echo $$ > {{hungPid}}; sleep 600; exit 0 ;;
              status) echo "Stuck $1 is stopped"; exit 3 ;;
            esac
            exit 0
            """);

        // On the peer it works (3.0.6 reads "running" in the status output as started).
        peer.InstallResourceScript("Stuck", $$"""
            #!/bin/sh
            case "$2" in
              start) touch {{peerState}} ;;
              stop) rm -f {{peerState}} ;;
              status) if [ -e {{peerState}} ]; then echo "Stuck $1 is running"; else echo "Stuck $1 is stopped"; exit 3; fi ;;
            esac
            exit 0
            """);

        string[] timeout = ["--script-timeout", "2"];
        lab.StartOurs(home, Path.Join(home.Directory, "etc"), Path.Join(home.Directory, "state"), timeout);
        if (peer.Real)
        {
            lab.Start(peer);
        }
        else
        {
            lab.StartOurs(peer, Path.Join(peer.Directory, "etc"), Path.Join(peer.Directory, "state"), timeout);
        }

        // 3.0.6 waits its fixed 10 s after communication up before placing anything; then the timeout, the undo and the
        // standby exchange.
        bool Handed() => Holds(lab, peer, Vip1) && Holds(lab, peer, Vip2) && !Holds(lab, home, Vip1) && File.Exists(peerState);
        Assert.True(Lab.WaitUntil(Handed, TimeSpan.FromSeconds(90)), "the peer did not take the failed group\n" + lab.Describe());
        Thread.Sleep(3000);
        Assert.True(Handed(), "the group bounced back\n" + lab.Describe());

        string log = home.Log();
        Assert.Contains("Stuck::db: start timed out after 2 s", log, StringComparison.Ordinal);
        Assert.Contains("failed to start here", log, StringComparison.Ordinal);
        int pid = int.Parse(File.ReadAllText(hungPid).Trim(), CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the hanging script still runs");

        var (code, json) = Lab.RunHbctl(home, "status", "--json");
        Assert.Equal(0, code);
        using var status = JsonDocument.Parse(json);
        var group = status.RootElement.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("home").GetString() == "server1");
        Assert.False(group.GetProperty("held").GetBoolean());
        string failure = group.GetProperty("lastFailure").GetString()!;
        Output.WriteLine($"{pairing}: {failure}");
        Assert.Contains("timed out", failure, StringComparison.Ordinal);
        Assert.False(Lab.OursProcess(home)!.HasExited, "the home daemon exited\n" + lab.Describe());
    }
}
