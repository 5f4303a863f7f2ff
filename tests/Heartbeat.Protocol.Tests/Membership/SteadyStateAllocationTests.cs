using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Tests.Node;

namespace Heartbeat.Protocol.Tests.Membership;

/// <summary>
/// What the keepalive path allocates once a pair is up and the send history is full: the engines' own work only
/// (ticks, writing and signing each heartbeat and ACK, reading, verifying and applying the peer's), measured on this
/// thread. It must be nothing: a steady cluster never makes the GC run. The figure also goes to
/// heartbeatnet-tests/allocations.txt for the benchmark notes.
/// </summary>
public class SteadyStateAllocationTests
{
    [Fact]
    public void Once_the_history_is_full_heartbeats_and_acks_allocate_nothing()
    {
        var lab = EngineHarness.ActivePair(TimeSpan.FromSeconds(10));
        var first = lab.Engines["server1"];
        var second = lab.Engines["server2"];
        long sending = 0, receiving = 0, idle = 0;
        int datagrams = 0, idleTicks = 0, acks = 0;
        var fromFirst = new List<OutgoingDatagram>();
        var fromSecond = new List<OutgoingDatagram>();

        void Step(bool measure)
        {
            lab.Time.Advance(TimeSpan.FromMilliseconds(50));
            long start = GC.GetAllocatedBytesForCurrentThread();
            first.Tick();
            second.Tick();
            fromFirst.Clear();
            fromSecond.Clear();
            first.DrainOutgoing(fromFirst);
            second.DrainOutgoing(fromSecond);
            long sent = GC.GetAllocatedBytesForCurrentThread();
            foreach (var datagram in fromFirst)
            {
                second.Receive(datagram.Bytes, "eth0");
            }

            foreach (var datagram in fromSecond)
            {
                first.Receive(datagram.Bytes, "eth0");
            }

            long received = GC.GetAllocatedBytesForCurrentThread();
            first.DrainEvents();
            second.DrainEvents();

            // The ACKs the receivers just wrote; they go out with the next step's drain.
            if (!measure)
            {
                return;
            }

            acks += fromFirst.Concat(fromSecond).Count(d => d.Type == MessageTypes.Ack);

            datagrams += fromFirst.Count + fromSecond.Count;
            sending += sent - start;
            receiving += received - sent;
            if (fromFirst.Count + fromSecond.Count == 0)
            {
                idle += sent - start;
                idleTicks++;
            }
        }

        // Warm: every code path run, every lazy structure built, and both send histories full (500 heartbeats each), so
        // from here every heartbeat reuses the buffer of the one that falls out.
        while (first.LastSentSeq < SendHistory.DefaultCapacity + 50 || second.LastSentSeq < SendHistory.DefaultCapacity + 50)
        {
            Step(measure: false);
        }

        // Rounds of 100 s on the fake clock until one allocates nothing at all. A real per-heartbeat allocation shows in
        // every round; the first rounds may still run code the JIT has not yet recompiled at tier 1 (when the whole
        // suite keeps the machine busy), and tier-0 code heap-allocates what tier 1 keeps on the stack.
        var rounds = new List<string>();
        bool clean = false;
        for (int round = 0; round < 10 && !clean; round++)
        {
            sending = receiving = idle = 0;
            datagrams = idleTicks = acks = 0;
            for (int i = 0; i < 2000; i++)
            {
                Step(measure: true);
            }

            rounds.Add(FormattableString.Invariant($"sending {sending}, receiving {receiving}, idle {idle} bytes"));
            clean = sending == 0 && receiving == 0 && idle == 0;
        }

        string directory = Path.Join(Path.GetTempPath(), "heartbeatnet-tests");
        Directory.CreateDirectory(directory);
        File.AppendAllText(Path.Join(directory, "allocations.txt"), FormattableString.Invariant(
            $"{DateTimeOffset.UtcNow:O}: {datagrams} datagrams ({acks} ACKs) and {idleTicks} idle tick pairs per round; allocated per round: {string.Join("; ", rounds)}\n"));

        Assert.True(datagrams >= 150, $"only {datagrams} datagrams in 100 s");
        Assert.True(acks >= 10, $"only {acks} ACKs: flow control is not exercised");
        Assert.True(idleTicks > 1000);
        Assert.True(clean, "every round allocated: " + string.Join("; ", rounds));
    }

    [Fact]
    public void Two_cluster_nodes_at_rest_allocate_nothing_through_the_node_api()
    {
        // Placement settled (each node holds its home group), then nothing but keepalives and ACKs, driven as the
        // daemon drives a node: tick at the deadline, pump into reused outputs, deliver, report the medium.
        var lab = NodeHarness.StablePair(AutoFailback.On);
        var first = lab.Nodes["server1"];
        var second = lab.Nodes["server2"];
        var outFirst = new NodeOutputs();
        var outSecond = new NodeOutputs();
        int datagrams = 0;

        // Each node's datagrams are delivered before the next call into it (their bytes may live in its buffers).
        static int Turn(ClusterNode node, NodeOutputs outputs, ClusterNode other)
        {
            if (node.Now >= node.NextDeadline)
            {
                node.Tick();
            }

            outputs.Clear();
            node.Pump(outputs);
            for (int i = 0; i < outputs.Datagrams.Count; i++)
            {
                node.ReportOwnLink("eth0", up: true);
                other.Receive(outputs.Datagrams[i].Bytes, "eth0");
            }

            return outputs.Datagrams.Count + outputs.Events.Count + outputs.GroupRequests.Count + outputs.Hooks.Count;
        }

        long Step()
        {
            lab.Time.Advance(TimeSpan.FromMilliseconds(50));
            long start = GC.GetAllocatedBytesForCurrentThread();
            datagrams += Turn(first, outFirst, second);
            datagrams += Turn(second, outSecond, first);
            return GC.GetAllocatedBytesForCurrentThread() - start;
        }

        while (first.Membership.LastSentSeq < SendHistory.DefaultCapacity + 50 || second.Membership.LastSentSeq < SendHistory.DefaultCapacity + 50)
        {
            Step();
        }

        // Rounds of 100 s until one allocates nothing (the first may still run code the JIT has not finished with).
        var rounds = new List<long>();
        for (int round = 0; round < 10 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            datagrams = 0;
            long allocated = 0;
            for (int i = 0; i < 2000; i++)
            {
                allocated += Step();
            }

            rounds.Add(allocated);
        }

        Assert.True(datagrams >= 150, $"only {datagrams} outputs in 100 s");
        Assert.Equal([NodeHarness.G1], first.Held);
        Assert.Equal([NodeHarness.G2], second.Held);
        Assert.True(rounds[^1] == 0, "every round allocated: " + string.Join("; ", rounds));
    }
}
