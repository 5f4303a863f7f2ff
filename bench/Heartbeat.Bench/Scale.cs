using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench;

/// <summary>One point of a scale curve: an implementation at one size of one kind (VIPs in a group, groups, members).</summary>
public sealed record ScaleResult(string Implementation, string Kind, int Size, bool Ok, string? Problem)
{
    /// <summary>SIGKILL of the holder (its addresses flushed: a power-off) to the survivor's first gratuitous ARP of the first VIP.</summary>
    public double? FirstArpMilliseconds { get; init; }

    /// <summary>The kill to the first gratuitous ARP of the VIP announced last (every VIP's first ARP, the latest of them).</summary>
    public double? LastArpMilliseconds { get; init; }

    /// <summary>The kill to the client's first answer from the survivor for every VIP.</summary>
    public double? AllAnsweringMilliseconds { get; init; }

    /// <summary>A graceful stop of the holder to the client's first answer from the other node for every VIP.</summary>
    public double? HandoverMilliseconds { get; init; }

    /// <summary>The start of the holder's first acquisition to every VIP answering (the group's start, alone).</summary>
    public double? StartMilliseconds { get; init; }

    /// <summary>Both (members: all) nodes at rest: RSS summed, CPU seconds per 10 minutes summed, packets sent per second summed.</summary>
    public double? RssMegabytes { get; init; }

    public double? CpuSecondsPer10Minutes { get; init; }

    public double? PacketsPerSecond { get; init; }

    /// <summary>Members: the kill of the last node to the first and to the last survivor logging it dead.</summary>
    public double? DetectionFirstMilliseconds { get; init; }

    public double? DetectionLastMilliseconds { get; init; }

    /// <summary>Steps that did not finish within the per-step timeout ("takeover", "handover", "start", "detection").</summary>
    public IReadOnlyList<string> TimedOut { get; init; } = [];

    public string Describe() => Ok
        ? string.Create(CultureInfo.InvariantCulture, $"scale-{Kind,-7} {Size,4} {Implementation,-10} first ARP {F(FirstArpMilliseconds)}, last ARP {F(LastArpMilliseconds)}, all answering {F(AllAnsweringMilliseconds)}, handover {F(HandoverMilliseconds)}, start {F(StartMilliseconds)}, RSS {F(RssMegabytes)} MB, CPU {F(CpuSecondsPer10Minutes)} s/10 min, {F(PacketsPerSecond)} pkt/s, detection {F(DetectionFirstMilliseconds)}–{F(DetectionLastMilliseconds)}{(TimedOut.Count > 0 ? "; timed out: " + string.Join(", ", TimedOut) : string.Empty)}")
        : $"scale-{Kind,-7} {Size,4} {Implementation,-10} FAILED: {Problem}";

    private static string F(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>
/// The scale curves: a group of N VIPs, N groups of one VIP, and memberships of N nodes. Each point in a fresh lab.
/// VIPs and groups: server1 alone acquires (auto_failback off; keepalived nopreempt), then server2 joins; at rest
/// footprint; SIGKILL of server1 with its addresses flushed (a power-off) and server2 takes over (ARP from a capture
/// in the client's namespace on the lab's bridge; the client asks every VIP every 20 ms, <see cref="MultiVipProbe"/>);
/// server1 restarted (it stays backup), then server2 stopped gracefully and server1 takes every VIP (the handover).
/// </summary>
public static partial class Scale
{
    /// <summary>VIP i: 10.11.(i / 250).(i % 250 + 1), /24 on ens18; the client has 10.11.k.254 in each of those subnets.</summary>
    public static string Vip(int i) => string.Create(CultureInfo.InvariantCulture, $"10.11.{i / 250}.{i % 250 + 1}");

    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(20);

    public static IReadOnlyList<ScaleResult> Run(BenchOptions options)
    {
        var results = new List<ScaleResult>();
        foreach (string kind in options.ScaleKinds)
        {
            var sizes = kind switch { "vips" => options.ScaleVips, "groups" => options.ScaleGroups, _ => options.ScaleMembers };
            foreach (int size in sizes)
            {
                foreach (var implementation in options.Implementations)
                {
                    if (kind == "members" && implementation == Implementation.Keepalived)
                    {
                        continue; // keepalived has no membership
                    }

                    if (implementation == Implementation.Real && kind != "members" && size > options.RealMaxSize)
                    {
                        continue;
                    }

                    var result = kind == "members" ? Members(implementation, size, options) : Group(implementation, kind, size, options);
                    Console.WriteLine(result.Describe());
                    results.Add(result);
                }
            }
        }

        return results;
    }

    private static ScaleResult Group(Implementation implementation, string kind, int size, BenchOptions options)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        var vips = Enumerable.Range(0, size).Select(Vip).ToList();
        // One logical line per group, one VIP per physical line: 3.0.6 cuts a haresources line at 5118 bytes and then
        // refuses to start (a 256-VIP line is 7567 bytes; see HaResourcesParser.MaxLine306).
        string haresources = kind == "vips"
            ? "server1 " + string.Join(" \\\n  ", vips.Select(v => $"IPaddr2::{v}/24/ens18")) + "\n"
            : string.Concat(vips.Select(v => $"server1 IPaddr2::{v}/24/ens18\n"));
        var timeout = TimeSpan.FromSeconds(options.ScaleTimeoutSeconds);
        var timedOut = new List<string>();
        try
        {
            var lab = Trials.NewLab($"scale {impl} {kind} {size}", options, haresources);
            lab.AutoFailback = "off";
            using var labDisposal = new Disposal(lab);
            var nodes = lab.Declare(implementation == Implementation.Real, implementation == Implementation.Real);
            var (first, second) = (nodes[0], nodes[1]);
            string client = lab.AddOutsider();
            foreach (int subnet in Enumerable.Range(0, (size + 249) / 250))
            {
                Lab.InNetns(client, "ip", "addr", "add", $"10.11.{subnet}.254/24", "dev", "ens18");
            }

            var pair = implementation == Implementation.Keepalived
                ? (IPair)new KeepalivedPair(lab, options, addresses: new KeepalivedAddresses(vips, InstancePerVip: kind == "groups", Preempt: false))
                : new HeartbeatPair(lab);
            using var pairDisposal = new Disposal(pair);
            using var probe = new MultiVipProbe(lab, nodes, vips, client, ProbeInterval);

            // server1 alone first: it takes every VIP (after initdead; keepalived: after its master-down timer).
            var mark = probe.Expect(first.Name);
            pair.Start(first);
            if (!Lab.WaitUntil(() => probe.AllAnswered, timeout))
            {
                return new ScaleResult(impl, kind, size, false, $"server1 answered for {probe.Answered()}/{size} VIPs after {timeout.TotalSeconds:F0} s") { TimedOut = ["start"] };
            }

            double? start = probe.Since(mark).All;
            pair.Start(second);
            Thread.Sleep(TimeSpan.FromSeconds(Math.Max(8, lab.InitdeadSeconds + 2)));
            probe.Paused = true;
            var rest = Footprint.AtRest(lab, nodes, TimeSpan.FromSeconds(options.RestSeconds));
            probe.Paused = false;
            Thread.Sleep(1000);

            // The takeover: server1 powered off (SIGKILL, its addresses flushed).
            double? firstArp, lastArp, allAnswering;
            using (var capture = new PacketCapture(client, "arp"))
            {
                var killedAt = DateTimeOffset.UtcNow;
                mark = probe.Expect(second.Name);
                pair.Kill(first);
                Lab.InNetns(lab.Netns(first), "ip", "addr", "flush", "dev", "ens18", "to", "10.11.0.0/16");
                if (!Lab.WaitUntil(() => probe.AllAnswered, timeout))
                {
                    timedOut.Add("takeover");
                }

                Thread.Sleep(300);
                allAnswering = probe.Since(mark).All;
                (firstArp, lastArp) = Announcements(capture, vips, killedAt);
            }

            // The handover: server1 back (it stays backup: no failback), then server2 stopped gracefully.
            double? handover = null;
            if (timedOut.Count == 0)
            {
                pair.Start(first);
                Thread.Sleep(TimeSpan.FromSeconds(Math.Max(8, lab.InitdeadSeconds + 2)));
                mark = probe.Expect(first.Name);
                var stopping = Task.Run(() => pair.Stop(second));
                if (Lab.WaitUntil(() => probe.AllAnswered, timeout))
                {
                    handover = probe.Since(mark).All;
                }
                else
                {
                    timedOut.Add("handover");
                }

                stopping.Wait(TimeSpan.FromSeconds(30));
            }

            return new ScaleResult(impl, kind, size, true, null)
            {
                FirstArpMilliseconds = firstArp,
                LastArpMilliseconds = lastArp,
                AllAnsweringMilliseconds = allAnswering,
                HandoverMilliseconds = handover,
                StartMilliseconds = start,
                RssMegabytes = rest.RssMegabytes,
                CpuSecondsPer10Minutes = rest.CpuSecondsPer10Minutes,
                PacketsPerSecond = rest.PacketsPerSecond,
                TimedOut = timedOut,
            };
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or AggregateException)
        {
            return new ScaleResult(impl, kind, size, false, ex.Message);
        }
    }

    /// <summary>
    /// N nodes of one implementation, no resources: at rest, then the last node SIGKILLed and each survivor's
    /// "node X: is dead" (ours and 3.0.6 say it alike) stamped as it appears in its ha-log.
    /// </summary>
    private static ScaleResult Members(Implementation implementation, int size, BenchOptions options)
    {
        string impl = implementation.ToString().ToLowerInvariant();
        try
        {
            var lab = Trials.NewLab($"scale {impl} members {size}", options, string.Empty);
            using var labDisposal = new Disposal(lab);
            var nodes = lab.Declare([.. Enumerable.Repeat(implementation == Implementation.Real, size)]);
            foreach (var node in nodes)
            {
                lab.Start(node);
            }

            Thread.Sleep(TimeSpan.FromSeconds(lab.InitdeadSeconds + 6));
            var rest = Footprint.AtRest(lab, nodes, TimeSpan.FromSeconds(options.RestSeconds));
            var victim = nodes[^1];
            var survivors = nodes[..^1];
            var stamps = survivors.Select(n => new LogStamps(Trials.HaLog(n, implementation))).ToList();
            try
            {
                string marker = $"node {victim.Name}: is dead";
                var killedAt = DateTimeOffset.UtcNow;
                lab.Kill(victim);
                bool all = Lab.WaitUntil(() => stamps.All(s => s.First(marker) is not null), TimeSpan.FromSeconds(60));
                var seen = stamps.Select(s => s.First(marker)).Where(t => t is not null).Select(t => (t!.Value - killedAt).TotalMilliseconds).ToList();
                return new ScaleResult(impl, "members", size, true, null)
                {
                    RssMegabytes = rest.RssMegabytes,
                    CpuSecondsPer10Minutes = rest.CpuSecondsPer10Minutes,
                    PacketsPerSecond = rest.PacketsPerSecond,
                    DetectionFirstMilliseconds = seen.Count > 0 ? seen.Min() : null,
                    DetectionLastMilliseconds = all ? seen.Max() : null,
                    TimedOut = all ? [] : ["detection"],
                };
            }
            finally
            {
                foreach (var s in stamps)
                {
                    s.Dispose();
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            return new ScaleResult(impl, "members", size, false, ex.Message);
        }
    }

    /// <summary>
    /// From the capture: the first gratuitous ARP of the first VIP, and of the VIP whose first ARP came last, in ms
    /// after <paramref name="after"/> (null when some VIP was never announced).
    /// </summary>
    private static (double? First, double? Last) Announcements(PacketCapture capture, IReadOnlyList<string> vips, DateTimeOffset after)
    {
        var wanted = vips.ToHashSet(StringComparer.Ordinal);
        var firstOf = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (string line in capture.Lines())
        {
            var match = AnnouncedAddress().Match(line);
            if (!match.Success || !wanted.Contains(match.Groups[1].Value) || firstOf.ContainsKey(match.Groups[1].Value))
            {
                continue;
            }

            string vip = match.Groups[1].Value;
            if (TakeoverTimeline.Announces(line, vip) && TakeoverTimeline.CaptureTime(line) is { } at && at > after)
            {
                firstOf[vip] = at;
            }
        }

        double? first = firstOf.TryGetValue(vips[0], out var f) ? (f - after).TotalMilliseconds : null;
        double? last = firstOf.Count == vips.Count ? (firstOf.Values.Max() - after).TotalMilliseconds : null;
        return (first, last);
    }

    [GeneratedRegex(@"(?:who-has|Reply) (\d+\.\d+\.\d+\.\d+)")]
    private static partial Regex AnnouncedAddress();

    /// <summary>Disposes a lab or a pair at the end of a using block (both are IAsyncDisposable).</summary>
    private sealed class Disposal(IAsyncDisposable target) : IDisposable
    {
        public void Dispose() => target.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
