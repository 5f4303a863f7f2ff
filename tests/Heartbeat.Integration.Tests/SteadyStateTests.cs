using System.Net.Sockets;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// The daemon in steady state, as deployed: two of ours holding their VIPs, under systemd's notify socket with the
/// watchdog armed, heartbeats every 20 ms. Its event loop must send, receive, acknowledge and tick without allocating:
/// with nothing to collect the GC never runs, and garbage would only grow the resident set. The loop counts its own
/// allocations (control requests excluded) and reports them in <c>hbctl status --json</c>. Its receiving socket reads
/// the peer's datagrams only, not the copies of its own broadcasts. Its heap is trimmed once the start-up is over.
/// </summary>
public class SteadyStateTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Fact]
    public async Task The_event_loop_allocates_nothing_while_heartbeats_flow()
    {
        await using var lab = NewLab("steady state", "on");
        lab.Keepalive = TimeSpan.FromMilliseconds(20);
        // No late-heartbeat warnings on a loaded machine: a log line is an allocation, and not the one looked for here.
        lab.Deadtime = TimeSpan.FromSeconds(3);
        lab.Warntime = TimeSpan.FromSeconds(3);
        var nodes = lab.Declare(false, false);

        // A notify socket that nobody needs to read: the daemon's sends are non-blocking, refused ones just count.
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        string notifyPath = Path.Join(lab.Directory, "notify.sock");
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        foreach (var node in nodes)
        {
            node.Environment["NOTIFY_SOCKET"] = notifyPath;
            node.Environment["WATCHDOG_USEC"] = "200000";
        }

        StartAndPlace(lab, nodes);
        var drain = Task.Run(() =>
        {
            byte[] buffer = new byte[4096];
            try
            {
                while (true)
                {
                    notify.Receive(buffer);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Closed at the end of the test.
            }
        });

        // Rounds of 3 s (~150 heartbeats sent and as many received, with ACKs, per node); the first rounds may still
        // run code the JIT has not optimized yet (tier 0 heap-allocates what tier 1 keeps on the stack) or meet a
        // one-off log line. A real per-heartbeat allocation (40 bytes a datagram: 6 KB a round) shows in every round.
        foreach (var node in nodes)
        {
            var rounds = new List<string>();
            bool clean = false;
            var (sentBefore, allocatedBefore, _) = Figures(node);
            for (int round = 0; round < 12 && !clean; round++)
            {
                Thread.Sleep(3000);
                var (sent, allocated, _) = Figures(node);
                long packets = sent - sentBefore;
                long bytes = allocated - allocatedBefore;
                rounds.Add($"{packets} sent, {bytes} B");
                Assert.True(packets >= 30, $"{node.Name}: only {packets} packets sent in 3 s\n{lab.Describe()}");
                clean = bytes == 0;
                (sentBefore, allocatedBefore) = (sent, allocated);
            }

            Output.WriteLine($"{node.Name}: {string.Join("; ", rounds)}");
            Assert.True(clean, $"{node.Name}: the event loop allocated in every round: {string.Join("; ", rounds)}\n{lab.Describe()}");
        }

        // A node's own broadcasts, which the kernel loops back to local sockets, are dropped by the receiving socket's
        // filter: what a node's socket reads is its peer's traffic only (with the copies it was the sum of both).
        var before = nodes.Select(Figures).ToArray();
        Thread.Sleep(3000);
        var after = nodes.Select(Figures).ToArray();
        for (int i = 0; i < nodes.Length; i++)
        {
            long received = after[i].Received - before[i].Received;
            long peerSent = after[1 - i].Sent - before[1 - i].Sent;
            Output.WriteLine($"{nodes[i].Name}: its socket read {received} datagrams while its peer sent {peerSent}");
            Assert.InRange(received, peerSent / 2, peerSent * 3 / 2);
        }

        // The start-up's garbage was collected (and its pages returned) once the start-up was over, not a minute in at
        // the first counters line: a node at rest does not pay that collection later.
        foreach (var node in nodes)
        {
            string log = node.Log();
            int trimmed = log.IndexOf("Memory trimmed", StringComparison.Ordinal);
            int counters = log.IndexOf("Counters: ", StringComparison.Ordinal);
            Assert.True(trimmed >= 0 && (counters < 0 || trimmed < counters), $"{node.Name}: no trim before the first counters line\n{lab.Describe()}");
        }

        notify.Dispose();
        await drain.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>From <c>hbctl status --json</c>: datagrams sent, the loop's own allocations, datagrams its one socket read.</summary>
    private static (long Sent, long LoopAllocated, long Received) Figures(LabNode node)
    {
        var (code, json) = Lab.RunHbctl(node, "status", "--json");
        Assert.Equal(0, code);
        using var status = JsonDocument.Parse(json);
        var counters = status.RootElement.GetProperty("counters");
        var socket = Assert.Single(counters.GetProperty("sockets").EnumerateArray());
        return (counters.GetProperty("sent").GetInt64(), counters.GetProperty("loopAllocatedBytes").GetInt64(), socket.GetProperty("received").GetInt64());
    }
}
