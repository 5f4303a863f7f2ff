using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// Two-node clusters on every medium and every authentication method: two of ours, and ours beside a real 3.0.6 node.
/// Both sides must reach active for each other within initdead, and the real node must log no complaint about us.
/// </summary>
public class MixedPairTests
{
    public static TheoryData<MediaKind, string> Matrix()
    {
        var data = new TheoryData<MediaKind, string>();
        foreach (var media in Enum.GetValues<MediaKind>())
        {
            foreach (string auth in (string[])["md5", "sha1", "crc"])
            {
                data.Add(media, auth);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Ours_and_a_real_306_node_see_each_other_active(MediaKind media, string auth)
    {
        await using var lab = new Lab($"pair real {media} {auth}") { Media = media, AuthMethod = auth };
        var nodes = lab.Declare(true, false);
        await Formation.AssertFormsAsync(lab, nodes);

        // A few more seconds of steady state: still no complaint, and ACKs keep the real node's history short.
        Thread.Sleep(3000);
        Assert.Empty(LogChecks.TroubleIn(nodes[0].Log()));
        Assert.DoesNotContain("Rejected packet", nodes[1].Log(), StringComparison.Ordinal);
    }
}

public class OursPairTests
{
    [Theory]
    [MemberData(nameof(MixedPairTests.Matrix), MemberType = typeof(MixedPairTests))]
    public async Task Two_of_ours_see_each_other_active(MediaKind media, string auth)
    {
        await using var lab = new Lab($"pair ours {media} {auth}") { Media = media, AuthMethod = auth };
        var nodes = lab.Declare(false, false);
        await Formation.AssertFormsAsync(lab, nodes);
        Assert.All(nodes, n => Assert.DoesNotContain("Rejected packet", n.Log(), StringComparison.Ordinal));
    }
}

public class ThreeNodeTests
{
    [Theory]
    [InlineData(true, true, false)]
    [InlineData(true, false, false)]
    public async Task A_mixed_three_node_cluster_converges(bool first, bool second, bool third)
    {
        await using var lab = new Lab("three nodes") { Media = MediaKind.Bcast, AuthMethod = "sha1" };
        var nodes = lab.Declare(first, second, third);
        await Formation.AssertFormsAsync(lab, nodes);
        foreach (var real in nodes.Where(n => n.Real))
        {
            Assert.Empty(LogChecks.TroubleIn(real.Log()));
        }
    }
}

internal static class Formation
{
    /// <summary>Starts every node and waits until each logs every other one as active; comm must come up within initdead.</summary>
    public static Task AssertFormsAsync(Lab lab, LabNode[] nodes)
    {
        foreach (var node in nodes)
        {
            lab.Start(node);
        }

        // initdead (2 s) bounds comm-up; the real node's own start-up and our runtime's start add a few seconds.
        var timeout = TimeSpan.FromSeconds(lab.InitdeadSeconds + 10);
        foreach (var node in nodes)
        {
            foreach (var other in nodes.Where(o => o != node))
            {
                Assert.True(
                    Lab.WaitForLog(node, $"Status update for node {other.Name}: status active", timeout),
                    $"{node.Name} never saw {other.Name} active\n{lab.Describe()}");
            }

            Assert.True(Lab.WaitForLog(node, "Comm_now_up(): updating status to active", timeout), $"{node.Name} never came up\n{lab.Describe()}");
        }

        foreach (var node in nodes)
        {
            Assert.DoesNotContain("is dead", node.Log(), StringComparison.Ordinal);
        }

        return Task.CompletedTask;
    }
}
