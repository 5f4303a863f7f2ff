using System.Globalization;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench;

/// <summary>
/// The holder's uplink lost: each node has its heartbeat link (ens18) and a public link (pub0) to a gateway namespace
/// that answers ping and is the client; the VIP lives on the public side. The holder's public link is cut (the
/// heartbeat link stays), and the VIP must move to the node that still reaches the gateway. Heartbeat, ours and 3.0.6
/// alike: <c>ping GW</c>, <c>deadping</c> = deadtime and <c>respawn hacluster …/ipfail</c> (ours: the built-in ipfail
/// that line enables; 3.0.6: its real ipfail); keepalived: a <c>vrrp_script</c> pinging the gateway as track_script
/// with a weight (<see cref="KeepalivedPair"/>). The steps, from the cut: the holder declares the gateway dead, decides
/// to give up, gives up, the VIP leaves it, appears on the other node, its first gratuitous ARP, the client's first answer.
/// </summary>
public static class UplinkLost
{
    public const string Vip = "192.168.50.100";
    public const string Gateway = "192.168.50.1";
    private const string Name = "uplink";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    public static async Task<TrialResult> RunAsync(Implementation implementation, int trial, BenchOptions options)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        bool real = implementation == Implementation.Real;
        try
        {
            await using var lab = Trials.NewLab($"bench {impl} {Name} {trial}", options, $"server1 IPaddr2::{Vip}/24/pub0\n");

            // ipfail is respawned as hacluster (3.0.6's built-in apiauth for it); ours enables its built-in ipfail on this line.
            string ipfail = real ? "/usr/libexec/heartbeat/ipfail" : "/usr/lib/heartbeat/ipfail";
            string deadping = options.DeadtimeMilliseconds is { } ms ? $"{ms}ms" : options.DeadtimeSeconds.ToString(CultureInfo.InvariantCulture);
            lab.ExtraHaCf = $"ping {Gateway}\ndeadping {deadping}\nrespawn hacluster {ipfail}\n";
            var nodes = lab.Declare(real, real);
            var (holder, taker) = (nodes[0], nodes[1]);
            lab.Gateway($"{Gateway}/24");
            for (int i = 0; i < nodes.Length; i++)
            {
                lab.Public(nodes[i], "pub0", $"192.168.50.{i + 2}/24");
            }

            await using var pair = implementation == Implementation.Keepalived ? (IPair)new KeepalivedPair(lab, options, publicSide: new PublicSide(Vip, "pub0", Gateway)) : new HeartbeatPair(lab);
            pair.Start(holder);
            pair.Start(taker);
            await using var probe = new VipProbe(lab, nodes, Vip, $"{lab.Name}-gw", TimeSpan.FromMilliseconds(10), overlapping: true);
            if (!Lab.WaitUntil(() => probe.Holders() is [var h] && h == holder.Name && probe.LastAnswer() == holder.Name, Wait))
            {
                return Failed("server1 never held the VIP alone");
            }

            // Both heartbeats must count the gateway before the cut (ipfail compares the two sides' counts).
            if (implementation != Implementation.Keepalived
                && !Lab.WaitUntil(() => nodes.All(n => Log(n, implementation).Contains($"Status update for node {Gateway}: status ping", StringComparison.Ordinal)), Wait))
            {
                return Failed("the gateway never counted as a ping node on both nodes");
            }

            using var holderLog = new LogStamps(Trials.HaLog(holder, implementation));
            using var holderAddresses = AddressMonitor.Start(lab.Netns(holder));
            using var takerAddresses = AddressMonitor.Start(lab.Netns(taker));
            using var arp = new PacketCapture(lab.Netns(taker), "arp", "pub0");

            // As in the other scenarios: 3.0.6 advertises deadtime + 2 s for 5 s after its start, and ipfail joins.
            Thread.Sleep(6000);
            var mark = probe.Now;
            var cut = probe.WallClock(mark);
            CutBeyondTheNic(lab, holder);
            if (!Lab.WaitUntil(() => probe.LastAnswer() == taker.Name, Wait))
            {
                return Failed($"{taker.Name} never answered after the uplink was cut");
            }

            Thread.Sleep(500);
            holderLog.Stop();
            arp.Stop();
            var back = probe.FirstAnswerBy(taker.Name, mark) is { } first ? probe.WallClock(first) : (DateTimeOffset?)null;
            var (dead, decided, gaveUp) = Markers(implementation);
            List<Step> steps =
            [
                new("gateway dead", Trials.Since(holderLog.First(dead), cut)),
                new("giveup decided", Trials.Since(holderLog.First(decided), cut)),
                new("giveup", Trials.Since(holderLog.First(gaveUp), cut)),
                new("VIP released", Trials.Since(Trials.AddressChange(holderAddresses, Vip, added: false, cut), cut)),
                new("VIP added", Trials.Since(Trials.AddressChange(takerAddresses, Vip, added: true, cut), cut)),
                new("first ARP", Trials.Since(Trials.FirstArp(arp, Vip, cut), cut)),
                new("client", Trials.Since(back, cut)),
            ];
            Save(Path.Join(options.Output, "trials", $"{Name}-{impl}-{trial}"), holderLog, holderAddresses, takerAddresses, arp);
            return new TrialResult(impl, Name, trial, true, probe.LongestOutage(mark).TotalMilliseconds, probe.LongestDoubleHold(mark).TotalMilliseconds, null) { Steps = steps };
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            return Failed(ex.Message);
        }

        TrialResult Failed(string why) => new(impl, Name, trial, false, double.NaN, double.NaN, why);
    }

    /// <summary>
    /// The holder's log lines for: the gateway declared dead, the decision to give up, the giveup itself. Ours and 3.0.6
    /// write ipfail's own words; keepalived: the script down after its falls, the priority lowered by the weight, and
    /// the holder entering BACKUP (after the peer, now of higher priority, preempted).
    /// </summary>
    private static (string Dead, string Decided, string GaveUp) Markers(Implementation implementation) => implementation == Implementation.Keepalived
        ? ("VRRP_Script(chk_gw) failed", "Changing effective priority", "Entering BACKUP STATE")
        : ($"node {Gateway}: is dead", "Giving up because", "giveup() called");

    /// <summary>
    /// Takes the node's port off the public switch (the lab's bridge br1, whose ports lab.sh names "q" + the first 8
    /// hex digits of the md5 of the node's name): the node's link stays up and nothing on it changes, as when the
    /// uplink breaks beyond its NIC (a switch's uplink, the router's port), which is what ping nodes exist for. lab.sh's
    /// <c>uplink down</c> sets the port down instead, which drops the node's carrier: keepalived sees that at once
    /// through the VIP's interface (tracked by default) and fails over in ~0.6 s without its script, which measured
    /// the NIC, not the uplink.
    /// </summary>
    private static void CutBeyondTheNic(Lab lab, LabNode node)
    {
        var (code, _, error) = Processes.Run(["bash", "-c", "ip -n \"$0\" link set \"q$(printf '%s' \"$1\" | md5sum | cut -c1-8)\" nomaster", $"{lab.Name}-br", node.Name], TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            throw new InvalidOperationException($"taking {node.Name}'s port off the public switch: {error}");
        }
    }

    private static string Log(LabNode node, Implementation implementation) => Trials.HaLog(node, implementation) is var path && File.Exists(path) ? LabNode.ReadShared(path) : string.Empty;

    /// <summary>The raw evidence: the holder's log from the settling on, both nodes' address changes, the taker's ARP on pub0.</summary>
    private static void Save(string directory, LogStamps holderLog, AddressMonitor holder, AddressMonitor taker, PacketCapture arp)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Join(directory, "holder.log"), holderLog.Text);
        File.WriteAllLines(Path.Join(directory, "addresses.txt"), [.. holder.Lines(Vip).Select(l => "server1 " + l), .. taker.Lines(Vip).Select(l => "server2 " + l)]);
        File.WriteAllLines(Path.Join(directory, "capture.txt"), arp.Lines());
    }
}
