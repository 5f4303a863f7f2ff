using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;
using static Heartbeat.Protocol.Tests.Node.NodeHarness;

namespace Heartbeat.Protocol.Tests.Node;

/// <summary>What the metrics read of a node: transitions by cause, and a view the loop can read without allocating.</summary>
public sealed class MetricsViewTests
{
    [Theory]
    [InlineData(AutoFailback.On)]
    [InlineData(AutoFailback.Legacy)]
    public void Transitions_are_counted_by_action_and_cause(AutoFailback policy)
    {
        var lab = StablePair(policy);
        var survivor = lab.Nodes["server2"];
        Assert.Equal(1, survivor.Transitions(GroupAction.Acquire, GroupCause.Placement) + survivor.Transitions(GroupAction.Acquire, GroupCause.PeerRequest));
        Assert.Equal(0, survivor.Transitions(GroupAction.Acquire, GroupCause.PeerDead));
        lab.Crash("server1");
        lab.Run(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, survivor.Transitions(GroupAction.Acquire, GroupCause.PeerDead));
        Assert.Equal(survivor.Takeovers, survivor.Transitions(GroupAction.Acquire, GroupCause.PeerDead) + survivor.Transitions(GroupAction.Acquire, GroupCause.PeerShutDown));
    }

    [Theory]
    [InlineData(AutoFailback.On)]
    [InlineData(AutoFailback.Legacy)]
    public void Reading_the_view_allocates_nothing(AutoFailback policy)
    {
        var lab = StablePair(policy);
        var node = lab.Nodes["server1"];
        long sum = 0;
        void Read()
        {
            foreach (string key in (string[])[G1, G2])
            {
                sum += node.Held.Contains(key) ? 1 : 0;
                sum += node.HolderOf(key) == "server2" ? 1 : 0;
                sum += node.Transitions(GroupAction.Acquire, GroupCause.PeerDead);
            }

            sum += node.Takeovers + node.Membership.Counters.Rejected(Protocol.Membership.RejectReason.AuthMismatch);
        }

        Read(); // JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Read();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }
}
