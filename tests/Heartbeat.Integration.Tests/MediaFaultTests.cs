using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// Two of ours with two media (bcast on ens18 and on eth1), each holding its VIP. First a bad ens18: 30 % of each
/// node's heartbeats dropped on it (nftables: this kernel has no netem), and an outsider on that network that copies
/// half of what it hears back to both nodes once or twice, 0–300 ms late (duplicates, reordering, jitter). Then eth1
/// is cut on one node. Nobody is declared dead and no VIP moves; the cut link, and only it, shows dead, then up again.
/// </summary>
public class MediaFaultTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Fact]
    public async Task A_lossy_duplicating_reordering_medium_and_a_cut_second_medium_kill_nobody()
    {
        await using var lab = NewLab("media faults", "on");
        lab.HaCfText = _ => "keepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 8\nudpport 694\nbcast ens18\nbcast eth1\nauto_failback on\nnode server1\nnode server2\n";
        var nodes = lab.Declare(false, false);
        for (int i = 0; i < nodes.Length; i++)
        {
            lab.Second(nodes[i], "eth1", string.Create(CultureInfo.InvariantCulture, $"10.20.20.{i + 1}/24"));
        }

        string outsider = lab.AddOutsider();
        StartAndPlace(lab, nodes);
        int[] marks = [.. nodes.Select(n => n.Log().Length)];

        // 1. ens18 loses 30 % of the heartbeats sent on it, and delivers late copies of half of the rest.
        foreach (var node in nodes)
        {
            Lab.InNetns(lab.Netns(node), "nft", "add table inet hbfault");
            Lab.InNetns(lab.Netns(node), "nft", "add chain inet hbfault out { type filter hook output priority 0 ; policy accept ; }");
            Lab.InNetns(lab.Netns(node), "nft", "add rule inet hbfault out oifname ens18 udp dport 694 numgen random mod 100 < 30 drop");
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var relay = Task.Run(() => Relay(outsider, nodes, stop.Token));
        int relayed = await relay.WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var node in nodes)
        {
            Lab.InNetns(lab.Netns(node), "nft", "delete table inet hbfault");
        }

        Output.WriteLine($"ens18 at 30 % loss for 20 s; {relayed} late copies delivered");
        Assert.True(relayed > 50, $"only {relayed} copies relayed");
        for (int i = 0; i < nodes.Length; i++)
        {
            string log = nodes[i].Log()[marks[i]..];
            Assert.DoesNotContain("is dead", log, StringComparison.Ordinal);
            Assert.DoesNotContain("Resource planner:", log, StringComparison.Ordinal);
        }

        Assert.True(Placed(lab, nodes), lab.Describe());

        // 2. eth1 cut on server2: that link dies on both sides, the nodes do not.
        var (server1, server2) = (nodes[0], nodes[1]);
        marks = [.. nodes.Select(n => n.Log().Length)];
        Lab.InNetns(lab.Netns(server2), "ip", "link", "set", "eth1", "down");
        Assert.True(Lab.WaitForLog(server1, "Link server2:eth1 dead", TimeSpan.FromSeconds(20), marks[0]), lab.Describe());
        Thread.Sleep(3000);
        Assert.True(Placed(lab, nodes), lab.Describe());
        Assert.DoesNotContain("Link server2:ens18 dead", server1.Log()[marks[0]..], StringComparison.Ordinal);

        Lab.InNetns(lab.Netns(server2), "ip", "link", "set", "eth1", "up");
        Assert.True(Lab.WaitForLog(server1, "Link server2:eth1 up", TimeSpan.FromSeconds(20), marks[0]), lab.Describe());
        for (int i = 0; i < nodes.Length; i++)
        {
            string log = nodes[i].Log()[marks[i]..];
            Assert.DoesNotContain("is dead", log, StringComparison.Ordinal);
            Assert.DoesNotContain("Resource planner:", log, StringComparison.Ordinal);
        }

        Assert.True(Placed(lab, nodes), lab.Describe());
    }

    private static bool Placed(Lab lab, LabNode[] nodes) =>
        Holds(lab, nodes[0], Vip1) && Holds(lab, nodes[1], Vip2) && !Holds(lab, nodes[0], Vip2) && !Holds(lab, nodes[1], Vip1);

    /// <summary>Hears ens18's broadcasts and sends half of them again to both nodes, once or twice, 0–300 ms later.</summary>
    private static int Relay(string netns, LabNode[] nodes, CancellationToken stop)
    {
        using var socket = NetnsSocket.CreateUdp(netns);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.EnableBroadcast = true;
        socket.Bind(new IPEndPoint(IPAddress.Any, 694));
        socket.ReceiveTimeout = 5;
        var targets = nodes.Select(n => new IPEndPoint(IPAddress.Parse(n.Address), 694)).ToArray();
        var random = new Random(694);
        var pending = new PriorityQueue<(byte[] Bytes, IPEndPoint Target), DateTime>();
        byte[] buffer = new byte[65536];
        int relayed = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                int n = socket.Receive(buffer);
                if (random.Next(2) == 0)
                {
                    byte[] copy = buffer[..n];
                    for (int c = random.Next(1, 3); c > 0; c--)
                    {
                        pending.Enqueue((copy, targets[random.Next(targets.Length)]), DateTime.UtcNow.AddMilliseconds(random.Next(300)));
                    }
                }
            }
            catch (SocketException)
            {
                // Receive timeout: send what is due.
            }

            while (pending.TryPeek(out var item, out var due) && due <= DateTime.UtcNow)
            {
                pending.Dequeue();
                socket.SendTo(item.Bytes, item.Target);
                relayed++;
            }
        }

        return relayed;
    }
}
