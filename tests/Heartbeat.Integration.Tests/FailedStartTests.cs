using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>A group that cannot start on its home node is handed to the peer, and hbctl says why.</summary>
public class FailedStartTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Fact]
    public async Task A_group_failing_on_its_home_node_runs_on_the_peer_and_the_reason_is_reported()
    {
        await using var lab = new Lab("failed start")
        {
            Haresources = $"server1 IPaddr2::{Vip1}/24/ens18 FailsOnServer1::db\nserver2 IPaddr2::{Vip2}/24/ens18\n",
            AutoFailback = "on",
        };
        var nodes = lab.Declare(false, false);
        foreach (var node in nodes)
        {
            node.InstallResourceScript("FailsOnServer1", """
                #!/bin/sh
                # A service whose start fails on server1 only (its disk is missing there).
                case "$2" in
                  start) [ "$HA_CURHOST" = server1 ] && { echo "FailsOnServer1 $1: /srv/$1 is not mounted" >&2; exit 1; }; exit 0 ;;
                  status) echo "FailsOnServer1 $1 is stopped"; exit 3 ;;
                esac
                exit 0
                """);
        }

        foreach (var node in nodes)
        {
            lab.Start(node);
        }

        var (s1, s2) = (nodes[0], nodes[1]);
        Assert.True(Lab.WaitUntil(() => Holds(lab, s2, Vip1) && Holds(lab, s2, Vip2) && !Holds(lab, s1, Vip1), Wait), lab.Describe());
        Thread.Sleep(3000);
        Assert.True(Holds(lab, s2, Vip1) && !Holds(lab, s1, Vip1), "the group bounced back\n" + lab.Describe());
        Assert.Contains("failed to start here", s1.Log(), StringComparison.Ordinal);

        var (code, json) = Lab.RunHbctl(s1, "status", "--json");
        Assert.Equal(0, code);
        using var status = JsonDocument.Parse(json);
        var group = status.RootElement.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("home").GetString() == "server1");
        Assert.False(group.GetProperty("held").GetBoolean());
        string failure = group.GetProperty("lastFailure").GetString()!;
        Output.WriteLine(failure);
        Assert.Contains("is not mounted", failure, StringComparison.Ordinal);
        Assert.Contains("is not mounted", Lab.RunHbctl(s1, "status").Output, StringComparison.Ordinal);
    }
}
