using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Heartbeat.Integration.Tests.Support;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Wire;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// An outsider on the cluster's network sends forgeries of every kind, first one of each, then a flood of them at
/// 10 000 datagrams a second for 30 s, to both of ours while they hold their VIPs: they stay up, nobody is declared
/// dead, no VIP moves, the CPU they spend stays bounded, every rejection is counted by reason in <c>hbctl status</c>,
/// and the log stays short (rejections are logged rate-limited).
/// </summary>
public class ForgeryTests(ITestOutputHelper output) : FailoverScenario(output)
{
    private const int FloodPerSecond = 10_000;
    private static readonly TimeSpan FloodLength = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Forgeries_and_a_flood_of_them_are_counted_and_change_nothing()
    {
        await using var lab = NewLab("forgery", "on");
        lab.DeadtimeSeconds = 2;
        var nodes = lab.Declare(false, false);
        string outsider = lab.AddOutsider();
        StartAndPlace(lab, nodes);
        var forgeries = Forgeries(lab.AuthSecret);

        using var socket = NetnsSocket.CreateUdp(outsider);
        var targets = nodes.Select(n => new IPEndPoint(IPAddress.Parse(n.Address), 694)).ToArray();
        int[] logMarks = [.. nodes.Select(n => n.Log().Length)];

        // One of each, to each node: each is rejected for its own reason.
        foreach (var (_, bytes, _) in forgeries)
        {
            foreach (var target in targets)
            {
                socket.SendTo(bytes, target);
            }
        }

        foreach (var node in nodes)
        {
            var expected = forgeries.Select(f => f.Reason).Distinct().ToList();
            Assert.True(Lab.WaitUntil(() => expected.All(r => Rejected(node).GetValueOrDefault(r) > 0), TimeSpan.FromSeconds(20)),
                $"{node.Name}: rejections by reason {Describe(Rejected(node))}, expected each of {string.Join(", ", expected)}\n{lab.Describe()}");
        }

        // The flood: the forgeries in turn, spread over both nodes, paced in 10 ms batches. The 60 kB one is left out:
        // 1 000 of those a second would measure the kernel's IP reassembly, not the daemon.
        var flood = forgeries.Where(f => f.Bytes.Length <= 1_500).Select(f => f.Bytes).ToList();
        var before = nodes.Select(n => (Cpu: Lab.OursProcess(n)!.TotalProcessorTime, Rejected: Rejected(n).Values.Sum())).ToArray();
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (clock.Elapsed < FloodLength)
        {
            long due = (long)(clock.Elapsed.TotalSeconds * FloodPerSecond);
            while (sent < due)
            {
                socket.SendTo(flood[(int)(sent % flood.Count)], targets[sent % targets.Length]);
                sent++;
            }

            Thread.Sleep(10);
        }

        var elapsed = clock.Elapsed;
        Thread.Sleep(500);
        for (int i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            var process = Lab.OursProcess(node);
            Assert.True(process is { HasExited: false }, $"{node.Name} is gone\n{lab.Describe()}");
            process!.Refresh();
            double cpu = (process.TotalProcessorTime - before[i].Cpu).TotalSeconds / elapsed.TotalSeconds;
            long rejected = Rejected(node).Values.Sum() - before[i].Rejected;
            string log = node.Log()[logMarks[i]..];
            int logLines = log.Count(c => c == '\n');
            Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{node.Name}: {sent / targets.Length} forgeries sent to it in {elapsed.TotalSeconds:F1} s, {rejected} rejected ({Describe(Rejected(node))}), CPU {cpu:P0} of a core, {logLines} log lines"));

            // UDP may drop some under the flood (socket buffers), but most must arrive and every one that does is counted.
            Assert.True(rejected >= sent / targets.Length / 2, $"{node.Name}: only {rejected} of {sent / targets.Length} counted");
            // Generous: a decode and one HMAC per datagram is a few microseconds; the bound catches a pathological path.
            Assert.True(cpu < 0.8, $"{node.Name}: {cpu:P0} of a core for {FloodPerSecond / targets.Length} forgeries a second");
            // Rate-limited: a few lines per reason per interval, not one per datagram.
            Assert.True(logLines < 400, $"{node.Name}: {logLines} log lines during the flood");
            Assert.DoesNotContain("is dead", log, StringComparison.Ordinal);
            Assert.DoesNotContain(":ens18 dead", log, StringComparison.Ordinal);
        }

        // Still a pair, each holding its own VIP, no move at any point.
        Assert.True(Holds(lab, nodes[0], Vip1) && Holds(lab, nodes[1], Vip2) && !Holds(lab, nodes[0], Vip2) && !Holds(lab, nodes[1], Vip1), lab.Describe());
        foreach (var node in nodes)
        {
            string log = node.Log()[logMarks[Array.IndexOf(nodes, node)]..];
            Assert.DoesNotContain("Resource planner:", log, StringComparison.Ordinal);
        }
    }

    /// <summary>Each forgery with the reason the daemon must give.</summary>
    private static List<(string Name, byte[] Bytes, string Reason)> Forgeries(string secret)
    {
        var options = WireOptions.Default with { ClassicFormat = false };
        var right = new Authenticator(AuthKeys.FromSpec($"1:md5:{secret}"));
        var wrongKey = new Authenticator(AuthKeys.FromSpec("1:md5:NotTheSecret"));
        var wrongIndex = new Authenticator(AuthKeys.FromSpec($"7:md5:{secret}"));
        string ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x", CultureInfo.InvariantCulture);
        HaMessage Status(string src, params HaField[] extra) => new(
            [HaField.String("t", "status"), HaField.String("st", "dead"), HaField.String("src", src), HaField.String("hg", "1"),
             HaField.String("ts", ts), HaField.String("seq", "7fffffff"), .. extra]);

        byte[] valid = right.Encode(Status("server1"), options);
        byte[] typeNine = Replace(wrongKey.Encode(Status("server1"), options), "(0)t="u8, "(9)t="u8);
        return
        [
            // An attacker without the key: the status would declare server1 dead if it were believed.
            ("no key", NetstringCodec.EncodeBlock(Status("server1")), "AuthMissing"),
            ("wrong key", wrongKey.Encode(Status("server1"), options), "AuthMismatch"),
            ("wrong index", wrongIndex.Encode(Status("server2"), options), "AuthUnknownKey"),
            ("type tag 9", typeNine, "Malformed"),
            ("truncated", valid[..(valid.Length / 2)], "Malformed"),
            ("oversized garbage", [.. "###\n"u8, .. Enumerable.Repeat((byte)'9', 60_000)], "Malformed"),
            ("not heartbeat", Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n"), "Malformed"),
            // Signed with the cluster's key (a broken or compromised member), from a name not in ha.cf.
            ("unknown node", right.Encode(Status("intruder"), options), "UnknownNode"),
            ("NUL in strings, signed", Signed(Replace(NetstringCodec.EncodeBlock(Status("intruXder")), "intruX"u8, "intru\0"u8), secret), "Malformed"),
            ("empty list items, signed", Signed(Replace(NetstringCodec.EncodeBlock(Status("intruder", HaField.List("nodes", ["q", "q", "q", "server1"]))), "1:q,1:q,1:q,"u8, "0:,0:,0:,0:,"u8), secret), "Malformed"),
        ];
    }

    /// <summary>A netstring block with a correct md5 trailer for key 1, whatever the block holds.</summary>
    private static byte[] Signed(byte[] block, string secret)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(block);
        DatagramCodec.WriteTrailer(1, Digests.Compute(AuthMethod.Md5, Encoding.ASCII.GetBytes(secret), block), output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Replace(byte[] bytes, ReadOnlySpan<byte> find, ReadOnlySpan<byte> with)
    {
        int at = bytes.AsSpan().IndexOf(find);
        Assert.True(at >= 0);
        byte[] copy = [.. bytes];
        with.CopyTo(copy.AsSpan(at));
        return copy;
    }

    private static Dictionary<string, long> Rejected(LabNode node)
    {
        var (code, json) = Lab.RunHbctl(node, "status", "--json");
        Assert.Equal(0, code);
        using var status = JsonDocument.Parse(json);
        return status.RootElement.GetProperty("counters").GetProperty("rejectedByReason").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);
    }

    private static string Describe(Dictionary<string, long> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value}")));
}
