using System.Text;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Protocol.Tests.Config;

/// <summary>Config files that work on 3.0.6 must work here, with the same values.</summary>
public sealed class ConfigTests
{
    [Fact]
    public void TheArticlesSampleIsValidWithTheWarnings306WouldGive()
    {
        string dir = Path.Join(TestPaths.RepositoryRoot, "etc", "ha.d");
        var files = new ConfigFiles(dir, File.ReadAllBytes(Path.Join(dir, "ha.cf")), File.ReadAllBytes(Path.Join(dir, "authkeys")), UnixFileMode.UserRead | UnixFileMode.UserWrite, File.ReadAllBytes(Path.Join(dir, "haresources")));
        var check = ClusterConfigLoader.Load(files, host: null);
        Assert.False(check.HasErrors, string.Join("\n", check.Diagnostics));
        var config = check.Config!;
        Assert.Equal(["server1", "server2"], config.HaCf.Nodes.Select(n => n.Name));
        Assert.Equal(TimeSpan.FromSeconds(2), config.HaCf.Keepalive);
        Assert.Equal(TimeSpan.FromSeconds(10), config.HaCf.Deadtime);
        Assert.Equal(TimeSpan.FromSeconds(20), config.HaCf.Initdead); // 2 × deadtime when deadtime is 6–10 s
        Assert.Equal(TimeSpan.FromSeconds(5), config.HaCf.Warntime);
        Assert.Equal(AutoFailback.Legacy, config.HaCf.AutoFailback);
        Assert.Equal(3, config.HaCf.Media.Length); // bcast, mcast, ucast; 'udp ens18' repeats the bcast
        Assert.Contains(check.Diagnostics, d => d.Line == 16 && d.Message.Contains("'udp' replaced by 'bcast'", StringComparison.Ordinal));
        Assert.Equal(AuthMethod.Md5, config.AuthKeys.Active.Method);
        var group = Assert.Single(config.Resources.Groups);
        Assert.Equal(("server1", "10.10.10.1"), (group.Node, group.Key));
        Assert.True(group.Resources[0].IsIpShorthand);
        Assert.Equal("IPaddr", group.Resources[0].Script);
        Assert.Null(group.Resources[0].Ip!.Interface);
        Assert.Equal(3, config.HaCf.MessageTtl); // hopfudge 1 + 2 nodes: ttl=3 on the wire, as captured
    }

    public static TheoryData<string> CaptureConfigs()
    {
        var data = new TheoryData<string>();
        foreach (string dir in Directory.GetDirectories(Path.Join(TestPaths.Captures, "conf")).Order(StringComparer.Ordinal))
        {
            foreach (string haCf in Directory.GetFiles(dir, "*.ha.cf").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(TestPaths.Captures, haCf));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaptureConfigs))]
    public void EveryConfigARealNodeRanWithIsValid(string relativeHaCf)
    {
        string haCf = Path.Join(TestPaths.Captures, relativeHaCf);
        string prefix = haCf[..^"ha.cf".Length];
        var files = new ConfigFiles(Path.GetDirectoryName(haCf)!, File.ReadAllBytes(haCf), File.ReadAllBytes(prefix + "authkeys"), null, File.ReadAllBytes(prefix + "haresources"));
        var check = ClusterConfigLoader.Load(files, host: null);
        Assert.False(check.HasErrors, string.Join("\n", check.Diagnostics));
        Assert.True(check.Config!.HaCf.Media.Length >= 1);
    }

    [Fact]
    public void LexicalRulesFollow306()
    {
        string text = "keepalive 500ms\r\ndeadtime 5#five\r\nwarntime 1.25\r\ninitdead 8000000us\r\nkeepalive 1\r\nbcast eth0\r\nnode Server1,server2\r\nauto_failback Off\r\n";
        var result = HaCfParser.Parse(Encoding.ASCII.GetBytes(text), "ha.cf");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var haCf = result.Value!;
        Assert.Equal(TimeSpan.FromSeconds(1), haCf.Keepalive); // the last value wins
        Assert.Equal(TimeSpan.FromSeconds(5), haCf.Deadtime);
        Assert.Equal(TimeSpan.FromSeconds(8), haCf.Initdead);
        Assert.Equal(TimeSpan.FromMilliseconds(1250), haCf.Warntime);
        Assert.Equal(["server1", "server2"], haCf.Nodes.Select(n => n.Name)); // lower-cased, comma-separated
        Assert.Equal(AutoFailback.Off, haCf.AutoFailback);
        Assert.Contains(result.Diagnostics, d => d.Line == 5 && d.Message.Contains("keepalive is set again (first on line 1)", StringComparison.Ordinal));
        Assert.Contains(result.Diagnostics, d => d.Line == 4 && d.Message.Contains("may be too small", StringComparison.Ordinal));
    }

    [Fact]
    public void UdpportAppliesOnlyToBroadcastAndUnicastLinesAfterIt()
    {
        var result = HaCfParser.Parse("bcast eth0\nudpport 700\nucast eth0 10.0.0.2\nmcast eth0 225.0.0.1 800 1 0\ndeadtime 10\nnode a b\n"u8, "ha.cf");
        var media = result.Value!.Media;
        Assert.Equal(694, ((BroadcastMedium)media[0]).Port);
        Assert.Equal(700, ((UnicastMedium)media[1]).Port);
        Assert.Equal(800, ((MulticastMedium)media[2]).Port);
        Assert.Contains(result.Diagnostics, d => d.Line == 2 && d.Severity == DiagnosticSeverity.Warning && d.Message.Contains("keeps port 694", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(30, 1, 30)]
    [InlineData(20, 2, 20)]
    [InlineData(10, 2, 20)]
    [InlineData(5, 1, 12)]
    public void InitdeadDefaultsAreComputedAs306Does(int deadtime, int keepalive, int initdead)
    {
        var result = HaCfParser.Parse(Encoding.ASCII.GetBytes($"keepalive {keepalive}\ndeadtime {deadtime}\nbcast eth0\nnode a b\n"), "ha.cf");
        Assert.Equal(TimeSpan.FromSeconds(initdead), result.Value!.Initdead);
        Assert.Equal(TimeSpan.FromSeconds(deadtime) / 2, result.Value.Warntime);
    }

    [Theory]
    [InlineData("2", 2000)]
    [InlineData("1.25", 1250)]
    [InlineData("10.5", 10500)]
    [InlineData("500ms", 500)]
    [InlineData("2500ms", 2500)]
    [InlineData("1000000us", 1000)]
    [InlineData("1500us", 2)]
    public void TimeValuesAreReadInMilliseconds(string text, int milliseconds)
    {
        Assert.True(TimeValue.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("2s")]
    [InlineData("2sec")]
    [InlineData("-5")]
    [InlineData("")]
    [InlineData("ms")]
    [InlineData("2147483648")]
    [InlineData("200000000000000000000000000000000")] // found by fuzzing: ×1000 overflowed a decimal
    [InlineData("79228162514264337593543950335ms")]
    public void InvalidTimeValuesAreRefused(string text) => Assert.False(TimeValue.TryParse(text, out _));

    [Fact]
    public void AuthKeysFollow306()
    {
        var result = AuthKeysParser.Parse("# keys\nauth 3\n1 crc\n2 md5 pass#word\n3 sha1 other secret words\n"u8, "authkeys", null);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var keys = result.Value!;
        Assert.Equal(3, keys.ActiveIndex);
        Assert.Equal("pass#word"u8.ToArray(), keys.Keys[2].Secret.ToArray()); // '#' is a comment only at the start of a line
        Assert.Equal("other"u8.ToArray(), keys.Active.Secret.ToArray()); // the key ends at the first blank
        Assert.Contains(result.Diagnostics, d => d.Line == 5 && d.Message.Contains("only 'other' is the key", StringComparison.Ordinal));
    }

    [Fact]
    public void HaResourcesFollowResourceManager()
    {
        string text = "# comment\nSERVER1 10.0.0.1/24/eth0:vip/10.0.0.255 mysql \\\n  Trace::g1b::x::y # tail comment\nserver2 IPaddr2::10.0.0.11/255.255.255.0/eth1 httpd\nserver1\n";
        var result = HaResourcesParser.Parse(Encoding.ASCII.GetBytes(text), "haresources", ["server1", "server2"]);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var groups = result.Value!.Groups;
        Assert.Equal(2, groups.Length);
        Assert.Equal(("server1", 2, "10.0.0.1/24/eth0:vip/10.0.0.255"), (groups[0].Node, groups[0].Line, groups[0].Key));
        Assert.Equal(["10.0.0.1/24/eth0:vip/10.0.0.255", "mysql", "Trace::g1b::x::y"], groups[0].Resources.Select(r => r.Text));
        Assert.Equal(["g1b", "x", "y"], groups[0].Resources[2].Arguments.ToArray());
        var ip = groups[0].Resources[0].Ip!;
        Assert.Equal((24, "eth0", "vip", "10.0.0.255"), (ip.PrefixLength, ip.Interface, ip.Label, ip.Broadcast!.ToString()));
        Assert.Equal((24, "eth1"), (groups[1].Resources[0].Ip!.PrefixLength!.Value, groups[1].Resources[0].Ip!.Interface!));
    }

    [Fact]
    public void A_haresources_line_longer_than_306s_buffer_is_read_whole_with_a_warning_and_continuations_are_not()
    {
        // One group of 256 IPaddr2 VIPs on one line: 7567 bytes. 3.0.6 cuts it at 5118 and refuses to start ("Bad
        // nodename in /etc/ha.d//haresources [8]", measured); the same group over continued lines is fine for both.
        var vips = Enumerable.Range(0, 256).Select(i => $"IPaddr2::10.11.{i / 250}.{i % 250 + 1}/24/ens18").ToArray();
        var oneLine = HaResourcesParser.Parse(Encoding.ASCII.GetBytes("server1 " + string.Join(' ', vips) + "\n"), "haresources", ["server1", "server2"]);
        var warning = Assert.Single(oneLine.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning);
        Assert.Equal(1, warning.Line);
        Assert.Contains("7567 characters long; Heartbeat 3.0.6 reads 5118 at a time", warning.Message, StringComparison.Ordinal);
        Assert.Equal(256, Assert.Single(oneLine.Value!.Groups).Resources.Length);

        var continued = HaResourcesParser.Parse(Encoding.ASCII.GetBytes("server1 " + string.Join(" \\\n  ", vips) + "\n"), "haresources", ["server1", "server2"]);
        Assert.DoesNotContain(continued.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning);
        Assert.Equal(256, Assert.Single(continued.Value!.Groups).Resources.Length);
    }
}
