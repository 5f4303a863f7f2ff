using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>The lab's IPv6: every node gets fd00::N/64 on ens18 beside its IPv4 address (nodad: usable at once).</summary>
internal static class LabIpv6
{
    public const string Vip = "fd00::100";

    /// <summary>The 3.0.6 spelling of <see cref="Vip"/> (no '::', which the resource line would split).</summary>
    public const string VipResource = "IPv6addr::fd00:0:0:0:0:0:0:100/64/ens18";

    public static string AddressOf(LabNode node) => "fd00::" + node.Address.Split('.')[^1];

    public static void Add(Lab lab, LabNode node) => Add(lab.Netns(node), AddressOf(node));

    public static void Add(string netns, string address) => Lab.InNetns(netns, "ip", "-6", "addr", "add", address + "/64", "dev", "ens18", "nodad");

    /// <summary>Whether ens18 carries the IPv6 address, DAD passed (not tentative, not dadfailed).</summary>
    public static bool Holds(Lab lab, LabNode node, string address = Vip)
    {
        try
        {
            using var json = JsonDocument.Parse(Lab.InNetns(lab.Netns(node), "ip", "-j", "-6", "addr", "show", "dev", "ens18"));
            return json.RootElement[0].GetProperty("addr_info").EnumerateArray().Any(a =>
                a.GetProperty("local").GetString() == address && !a.TryGetProperty("tentative", out _) && !a.TryGetProperty("dadfailed", out _));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or IndexOutOfRangeException or KeyNotFoundException)
        {
            return false;
        }
    }

    public static string Mac(string netns) =>
        JsonDocument.Parse(Lab.InNetns(netns, "ip", "-j", "link", "show", "dev", "ens18")).RootElement[0].GetProperty("address").GetString()!;

    /// <summary>The client's neighbour entry for the VIP: the MAC it sends to, or null.</summary>
    public static string? NeighbourMac(string netns)
    {
        using var json = JsonDocument.Parse(Lab.InNetns(netns, "ip", "-j", "-6", "neigh", "show", Vip, "dev", "ens18"));
        return json.RootElement.EnumerateArray().Select(e => e.TryGetProperty("lladdr", out var l) ? l.GetString() : null).FirstOrDefault(m => m is not null);
    }
}

/// <summary>
/// A client pinging the IPv6 VIP every 20 ms: which echo requests were answered, and when. The machine's ping is GNU
/// inetutils', whose ping6 takes whole seconds only, so a few lines of Python send the echo requests.
/// </summary>
internal sealed class Ping6 : IDisposable
{
    private const string Script = """
        import socket, struct, sys, time, select
        addr = sys.argv[1]
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        seq, next_send = 0, time.monotonic()
        while True:
            if time.monotonic() >= next_send:
                seq = (seq + 1) & 0xFFFF
                try:
                    s.sendto(struct.pack('!BBHHH', 128, 0, 0, 0x4242, seq), (addr, 0))
                except OSError:
                    pass
                next_send += 0.02
            r, _, _ = select.select([s], [], [], max(0, next_send - time.monotonic()))
            if r:
                data, src = s.recvfrom(1500)
                if data[0] == 129 and src[0] == addr:
                    print("reply", struct.unpack('!H', data[6:8])[0], flush=True)
        """;

    private readonly Process _process;
    private readonly List<(TimeSpan At, bool Answered)> _replies = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public Ping6(Lab lab, string netns, string address)
    {
        string script = Path.Join(lab.Directory, "ping6.py");
        File.WriteAllText(script, Script);
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["netns", "exec", netns, "python3", script, address])
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith("reply", StringComparison.Ordinal))
            {
                lock (_replies)
                {
                    _replies.Add((_clock.Elapsed, true));
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public TimeSpan Now => _clock.Elapsed;

    public int AnsweredSince(TimeSpan from)
    {
        lock (_replies)
        {
            return _replies.Count(r => r.At >= from && r.Answered);
        }
    }

    /// <summary>The longest time between two answers after <paramref name="from"/>.</summary>
    public TimeSpan LongestGap(TimeSpan from)
    {
        lock (_replies)
        {
            var answers = _replies.Where(r => r.At >= from && r.Answered).Select(r => r.At).ToList();
            return answers.Count < 2 ? TimeSpan.MaxValue : answers.Zip(answers.Skip(1), (a, b) => b - a).Max();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}

/// <summary>IPv6 VIPs on two of ours: takeover seen by a pinging client, the VIP watch, a DAD conflict.</summary>
public class Ipv6VipTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// server1 holds the IPv6 VIP; deleted by hand it comes back (the VIP watch covers IPv6); killed (and its address
    /// gone, as with a dead machine), server2 takes the VIP over: the client's pings resume, its neighbour entry moves
    /// to server2's MAC, and tcpdump sees server2's unsolicited neighbour advertisements (override set, to ff02::1).
    /// </summary>
    [Fact]
    public async Task An_IPv6_vip_is_watched_and_taken_over_with_neighbour_advertisements()
    {
        await using var lab = new Lab("ipv6 vip takeover") { Haresources = $"server1 {LabIpv6.VipResource}\n" };
        var nodes = lab.Declare(false, false);
        var (s1, s2) = (nodes[0], nodes[1]);
        string client = lab.AddOutsider();
        foreach (var node in nodes)
        {
            LabIpv6.Add(lab, node);
        }

        LabIpv6.Add(client, "fd00::99");
        foreach (var node in nodes)
        {
            lab.Start(node);
        }

        Assert.True(Lab.WaitUntil(() => LabIpv6.Holds(lab, s1), Wait), lab.Describe());
        Assert.True(Lab.WaitForLog(s1, "rounds of unsolicited neighbour advertisements", Wait), lab.Describe());

        // The VIP watch: deleted by hand, the address is put back (and passes DAD again).
        int mark = s1.Log().Length;
        Lab.InNetns(lab.Netns(s1), "ip", "-6", "addr", "del", LabIpv6.Vip + "/64", "dev", "ens18");
        Assert.True(Lab.WaitForLog(s1, "restore: ok=True", Wait, mark), lab.Describe());
        Assert.True(Lab.WaitUntil(() => LabIpv6.Holds(lab, s1), Wait), lab.Describe());

        using var ping = new Ping6(lab, client, LabIpv6.Vip);
        Assert.True(Lab.WaitUntil(() => ping.AnsweredSince(TimeSpan.Zero) >= 10, Wait), "the client gets no answer from the VIP\n" + lab.Describe());
        Assert.Equal(LabIpv6.Mac(lab.Netns(s1)), LabIpv6.NeighbourMac(client));

        using var capture = new PacketCapture(client, "icmp6 and ip6[40] == 136", linkLevel: true, verbose: true);
        Thread.Sleep(500);
        var killedAt = ping.Now;
        lab.Kill(s1);
        Lab.InNetns(lab.Netns(s1), "ip", "-6", "addr", "del", LabIpv6.Vip + "/64", "dev", "ens18");

        string s2Mac = LabIpv6.Mac(lab.Netns(s2));
        Assert.True(Lab.WaitUntil(() => LabIpv6.Holds(lab, s2) && LabIpv6.NeighbourMac(client) == s2Mac, Wait), lab.Describe());
        var resumed = ping.Now;
        Assert.True(Lab.WaitUntil(() => ping.AnsweredSince(resumed) >= 10, Wait), "pings did not resume on server2\n" + lab.Describe());
        Assert.True(Lab.WaitForLog(s2, "first neighbour advertisement handed to the kernel", Wait), "event 192 must name the IPv6 frame\n" + lab.Describe());
        Assert.DoesNotContain("first gratuitous ARP handed", s2.Log(), StringComparison.Ordinal);
        output.WriteLine($"longest gap between answers across the takeover: {ping.LongestGap(killedAt).TotalMilliseconds:F0} ms (deadtime 1 s, then DAD)");

        // Five advertisements, a round every 200 ms: all on the wire within about a second.
        Assert.True(Lab.WaitUntil(() => capture.Lines().Count(l => l.Contains("tgt is fd00::100", StringComparison.Ordinal)) >= 5, Wait), string.Join("\n", capture.Lines()));
        capture.Stop();
        var advertisements = capture.Lines().Where(l => l.Contains("tgt is fd00::100", StringComparison.Ordinal)).ToList();
        output.WriteLine(string.Join("\n", advertisements));
        string all = string.Join("\n", capture.Lines());
        Assert.All(advertisements, l => Assert.Contains("Flags [override]", l, StringComparison.Ordinal)); // no router, not solicited
        Assert.Contains($"{s2Mac} > 33:33:00:00:00:01", all, StringComparison.Ordinal);
        Assert.Contains("hlim 255", all, StringComparison.Ordinal);
        Assert.Contains("icmp6 sum ok", all, StringComparison.Ordinal);
        Assert.DoesNotContain("bad icmp6 sum", all, StringComparison.Ordinal);
        Assert.Contains(s2Mac, all[all.IndexOf("link-address option", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    /// <summary>
    /// DAD made slow (6 probes a second apart): the group worker waits it out, but the loop does not: heartbeats go
    /// on every keepalive meanwhile, and a SIGTERM during the wait is carried out as soon as the start ends (the
    /// release queued behind it, the VIP removed, the daemon gone), not lost and not delayed past the DAD bound.
    /// </summary>
    [Fact]
    public async Task A_slow_dad_blocks_neither_the_heartbeats_nor_a_stop()
    {
        await using var lab = new Lab("ipv6 slow dad") { Haresources = $"server1 {LabIpv6.VipResource}\n" };
        var s1 = lab.Declare(false, false)[0];
        string netns = lab.Netns(s1);
        string client = lab.AddOutsider();
        LabIpv6.Add(lab, s1);
        Lab.InNetns(netns, "sysctl", "-q", "-w", "net.ipv6.conf.ens18.dad_transmits=6", "net.ipv6.neigh.ens18.retrans_time_ms=1000");
        using var heartbeats = new PacketCapture(client, $"udp port 694 and src host {s1.Address}");
        lab.Start(s1);

        // Alone after initdead, it takes the group; the VIP is added and stays tentative for about 6 s.
        Assert.True(Lab.WaitUntil(() => Tentative(), TimeSpan.FromSeconds(40)), lab.Describe());
        int before = heartbeats.Lines().Count;
        Thread.Sleep(2000);
        Assert.True(Tentative(), "DAD ended before the check: the test's 6 s DAD did not hold");
        int during = heartbeats.Lines().Count - before;
        Assert.True(during >= 6, $"{during} heartbeats in 2 s while the group worker waited for DAD (keepalive 200 ms)");

        var clock = Stopwatch.StartNew();
        lab.Stop(s1);
        Assert.True(Lab.OursProcess(s1) is { HasExited: true }, "the daemon did not exit within 15 s of SIGTERM during DAD\n" + lab.Describe());
        output.WriteLine($"exited {clock.ElapsedMilliseconds} ms after SIGTERM during DAD");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(12));
        Assert.False(Lab.InNetns(netns, "ip", "-6", "addr", "show", "dev", "ens18").Contains(LabIpv6.Vip, StringComparison.Ordinal), "the VIP stayed after the stop");

        bool Tentative() => Lab.InNetns(netns, "ip", "-6", "addr", "show", "dev", "ens18", "tentative").Contains(LabIpv6.Vip, StringComparison.Ordinal);
    }

    /// <summary>
    /// The VIP is already in use on the link by a host server2 cannot see (a bridge rule separates them): server1's
    /// duplicate address detection fails, its start fails, and the group runs on server2, as any failed start.
    /// </summary>
    [Fact]
    public async Task A_vip_in_use_on_the_link_fails_dad_and_the_group_goes_to_the_peer()
    {
        await using var lab = new Lab("ipv6 dad conflict") { Haresources = $"server1 {LabIpv6.VipResource}\n" };
        var nodes = lab.Declare(false, false);
        var (s1, s2) = (nodes[0], nodes[1]);
        string squatter = lab.AddOutsider();
        foreach (var node in nodes)
        {
            LabIpv6.Add(lab, node);
        }

        LabIpv6.Add(squatter, LabIpv6.Vip);
        string bridge = $"{lab.Name}-br";
        static string Port(string name) => "p" + Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.ASCII.GetBytes(name)))[..8];
        Lab.InNetns(bridge, "nft", "add", "table", "bridge", "hbv6");
        Lab.InNetns(bridge, "nft", "add", "chain", "bridge", "hbv6", "filt", "{ type filter hook forward priority 0; }");
        Lab.InNetns(bridge, "nft", "add", "rule", "bridge", "hbv6", "filt", "iifname", Port("spy"), "oifname", Port("server2"), "drop");
        Lab.InNetns(bridge, "nft", "add", "rule", "bridge", "hbv6", "filt", "iifname", Port("server2"), "oifname", Port("spy"), "drop");

        foreach (var node in nodes)
        {
            lab.Start(node);
        }

        Assert.True(Lab.WaitUntil(() => LabIpv6.Holds(lab, s2), Wait), "server2 never took the VIP\n" + lab.Describe());
        Assert.Contains("duplicate address detection failed", s1.Log(), StringComparison.Ordinal);
        Thread.Sleep(3000);
        Assert.True(LabIpv6.Holds(lab, s2), lab.Describe());
        Assert.False(LabIpv6.Holds(lab, s1), "server1 must not keep a duplicate\n" + lab.Describe());
        var (code, json) = Lab.RunHbctl(s1, "status", "--json");
        Assert.Equal(0, code);
        using var status = JsonDocument.Parse(json);
        string failure = status.RootElement.GetProperty("groups").EnumerateArray().Single().GetProperty("lastFailure").GetString()!;
        output.WriteLine(failure);
        Assert.Contains("in use on the link", failure, StringComparison.Ordinal);
    }
}

/// <summary>A real 3.0.6 node and ours whose only heartbeat path is IPv6 (ucast6, or mcast6) form one cluster and fail over.</summary>
public class Ipv6MediaTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ucast6")]
    [InlineData("mcast6")]
    public async Task A_mixed_pair_over_IPv6_only_forms_one_cluster_and_fails_over(string medium)
    {
        const string Vip = "10.10.10.1";
        Lab? labRef = null;
        await using var lab = new Lab($"ipv6 media {medium}")
        {
            Haresources = $"server1 IPaddr2::{Vip}/24/ens18\n",
            HaCfText = node =>
            {
                var peer = labRef!.Nodes.Single(n => n != node);
                string media = medium == "ucast6" ? $"ucast6 ens18 {LabIpv6.AddressOf(peer)}\n" : "mcast6 ens18 ff02::694 694 1 0\n";
                string log = node.Real ? string.Empty : $"logfile {Path.Join(node.Directory, "log", "ha-log")}\n";
                Directory.CreateDirectory(Path.Join(node.Directory, "log"));
                return $"keepalive 200ms\ndeadtime 1\nwarntime 1\ninitdead 8\nudpport 694\n{media}auto_failback on\n{log}crm off\nnode server1\nnode server2\n";
            },
        };
        labRef = lab;
        var nodes = lab.Declare(true, false);
        var (real, ours) = (nodes[0], nodes[1]);
        foreach (var node in nodes)
        {
            LabIpv6.Add(lab, node);
        }

        await Formation.AssertFormsAsync(lab, nodes);
        Assert.Contains($"Medium {medium} ens18", ours.Log(), StringComparison.Ordinal);
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(real, Vip), TimeSpan.FromSeconds(60)), lab.Describe());

        // Fail over: the real holder dies (its address gone with it); ours hears nothing more over IPv6 and takes the group.
        var clock = Stopwatch.StartNew();
        lab.Kill(real);
        Lab.InNetns(lab.Netns(real), "ip", "addr", "del", $"{Vip}/24", "dev", "ens18");
        Assert.True(Lab.WaitUntil(() => lab.HasAddress(ours, Vip), TimeSpan.FromSeconds(30)), lab.Describe());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{medium}: {Vip} on ours {clock.ElapsedMilliseconds} ms after the real node was killed"));
        Assert.Contains("server1", ours.Log(), StringComparison.Ordinal);
    }
}
