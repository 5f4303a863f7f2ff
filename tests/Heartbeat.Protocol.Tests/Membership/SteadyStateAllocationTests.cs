namespace Heartbeat.Protocol.Tests.Membership;

/// <summary>
/// What the keepalive path allocates once a pair is up: the engines' own work only (ticks, encoding and signing each
/// heartbeat, decoding, verifying and applying the peer's), measured on this thread. The figure goes to
/// heartbeatnet-tests/allocations.txt for the benchmark notes; the bounds catch a regression, they are not the goal
/// (the goal is none: messages are still field lists of strings, see the README's status).
/// </summary>
public class SteadyStateAllocationTests
{
    [Fact]
    public void An_idle_tick_allocates_nothing_and_a_heartbeat_a_bounded_amount()
    {
        var lab = EngineHarness.ActivePair(TimeSpan.FromSeconds(10));
        var first = lab.Engines["server1"];
        var second = lab.Engines["server2"];
        long sending = 0, receiving = 0, idle = 0;
        int datagrams = 0, idleTicks = 0;

        void Step(bool measure)
        {
            lab.Time.Advance(TimeSpan.FromMilliseconds(50));
            long start = GC.GetAllocatedBytesForCurrentThread();
            first.Tick();
            second.Tick();
            var fromFirst = first.DrainOutgoing();
            var fromSecond = second.DrainOutgoing();
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
            if (!measure)
            {
                return;
            }

            datagrams += fromFirst.Count + fromSecond.Count;
            sending += sent - start;
            receiving += received - sent;
            if (fromFirst.Count + fromSecond.Count == 0)
            {
                idle += sent - start;
                idleTicks++;
            }
        }

        for (int i = 0; i < 400; i++)
        {
            Step(measure: false); // warm: every code path run and every lazy structure built once
        }

        for (int i = 0; i < 2000; i++)
        {
            Step(measure: true);
        }

        double perSent = sending / (double)datagrams;
        double perReceived = receiving / (double)datagrams;
        string directory = Path.Join(Path.GetTempPath(), "heartbeatnet-tests");
        Directory.CreateDirectory(directory);
        File.AppendAllText(Path.Join(directory, "allocations.txt"), FormattableString.Invariant(
            $"{DateTimeOffset.UtcNow:O}: {datagrams} heartbeats; bytes allocated per heartbeat: sending {perSent:F0}, receiving {perReceived:F0}; per idle tick pair {idle / (double)Math.Max(1, idleTicks):F0} over {idleTicks}\n"));

        Assert.True(datagrams >= 150, $"only {datagrams} heartbeats in 100 s");
        Assert.True(idleTicks > 1000);
        Assert.Equal(0, idle);
        Assert.InRange(perSent, 0, 8 * 1024);
        Assert.InRange(perReceived, 0, 6 * 1024);
    }
}
