using System.Globalization;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench;

/// <summary>
/// The holder killed with its VIP gone (as crash-kill), with a fence in the path: <c>stonith_host *</c> and the
/// integration tests' device (<see cref="StonithTestDevice"/>: its reset records the UTC time, then powers the victim's
/// namespace off through lab.sh), for ours and real 3.0.6 alike; keepalived has no fencing and is not run. The steps,
/// from the kill: the survivor declares the holder dead, (ours) announces its contender delay, starts the reset, the
/// device resets, the survivor logs the reset done, the VIP appears on it, its first gratuitous ARP, the client's first
/// answer.
/// </summary>
/// <remarks>
/// Ours delays its reset when it does not rank first (Fencer.PeerDied: it holds fewer groups than the dead node did,
/// or as many and its name sorts later). The survivor of a killed holder holds nothing, the holder held the group: it
/// ranks second and waits the contender delay (--stonith-delay, 15 s by default; the bench's --stonith-delay sets it),
/// which no node can skip, because a survivor cannot tell a dead holder from one cut off by a split brain. 3.0.6 resets
/// at once (and so duels in a split brain).
/// </remarks>
public static class FencedCrash
{
    private const string Name = "crash-kill-fence";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    public static async Task<TrialResult> RunAsync(Implementation implementation, int trial, BenchOptions options)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        bool real = implementation == Implementation.Real;
        try
        {
            await using var lab = Trials.NewLab($"bench {impl} {Name} {trial}", options, $"server1 IPaddr2::{Trials.Vip}/24/ens18\n");
            using var device = StonithTestDevice.Install(lab, "ok");
            var nodes = lab.Declare(real, real);
            var (holder, survivor) = (nodes[0], nodes[1]);
            string client = lab.AddOutsider();
            string[] oursArguments = options.StonithDelaySeconds is { } delay ? ["--stonith-delay", delay.ToString(CultureInfo.InvariantCulture)] : [];
            await using var pair = new HeartbeatPair(lab, oursArguments);
            pair.Start(holder);
            pair.Start(survivor);
            await using var probe = new VipProbe(lab, nodes, Trials.Vip, client, TimeSpan.FromMilliseconds(10), overlapping: true);
            if (!Lab.WaitUntil(() => probe.Holders() is [var h] && h == holder.Name && probe.LastAnswer() == holder.Name, Wait))
            {
                return Failed("server1 never held the VIP alone");
            }

            using var survivorLog = new LogStamps(Trials.HaLog(survivor, implementation));
            using var addresses = AddressMonitor.Start(lab.Netns(survivor));
            using var arp = new PacketCapture(lab.Netns(survivor), "arp");
            Thread.Sleep(6000);
            var mark = probe.Now;
            var death = probe.WallClock(mark);

            // A power-off: the daemon gone and its VIP with it (the device's reset then finds the namespace dead already).
            pair.Kill(holder);
            Processes.Run(["ip", "netns", "exec", lab.Netns(holder), "ip", "addr", "del", Trials.Vip + "/24", "dev", "ens18"], TimeSpan.FromSeconds(10));
            if (!Lab.WaitUntil(() => probe.LastAnswer() == survivor.Name, Wait))
            {
                return Failed($"{survivor.Name} never answered after the kill");
            }

            Thread.Sleep(500);
            survivorLog.Stop();
            arp.Stop();
            var resets = device.Resets();
            if (resets.Count != 1 || resets[0].Node != holder.Name)
            {
                return Failed($"expected one reset of {holder.Name}, the device recorded [{string.Join(", ", resets)}]");
            }

            var reset = DateTimeOffset.Parse(resets[0].At, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var back = probe.FirstAnswerBy(survivor.Name, mark) is { } first ? probe.WallClock(first) : (DateTimeOffset?)null;
            List<Step> steps =
            [
                new("dead", Trials.Since(survivorLog.First($"node {holder.Name}: is dead"), death)),
                new("delay announced", Trials.Since(survivorLog.First($"Delaying the reset of {holder.Name}"), death)),
                new("reset started", Trials.Since(survivorLog.First($"Resetting node {holder.Name}"), death)),
                new("device reset", Trials.Since(reset, death)),
                new("reset done", Trials.Since(survivorLog.First($"node {holder.Name} now reset."), death)),
                new("VIP added", Trials.Since(Trials.AddressChange(addresses, Trials.Vip, added: true, death), death)),
                new("first ARP", Trials.Since(Trials.FirstArp(arp, Trials.Vip, death), death)),
                new("client", Trials.Since(back, death)),
            ];
            string directory = Path.Join(options.Output, "trials", $"{Name}-{impl}-{trial}");
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Join(directory, "survivor.log"), survivorLog.Text);
            File.WriteAllLines(Path.Join(directory, "addresses.txt"), addresses.Lines(Trials.Vip));
            File.WriteAllLines(Path.Join(directory, "capture.txt"), arp.Lines());
            File.WriteAllLines(Path.Join(directory, "resets.txt"), resets.Select(r => $"{r.At} {r.Node}"));
            return new TrialResult(impl, Name, trial, true, probe.LongestOutage(mark).TotalMilliseconds, probe.LongestDoubleHold(mark).TotalMilliseconds, null) { Steps = steps };
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            return Failed(ex.Message);
        }

        TrialResult Failed(string why) => new(impl, Name, trial, false, double.NaN, double.NaN, why);
    }
}
