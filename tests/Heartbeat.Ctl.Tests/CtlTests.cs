using System.Text;
using Heartbeat.Ctl;
using Heartbeat.Ctl.Commands;
using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Ctl.Tests;

/// <summary>hbctl run in-process, as an admin would run it.</summary>
public sealed class CtlTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("hbctl-test-").FullName;

    private static string Root => TestPaths.RepositoryRoot;

    private static string Captures => TestPaths.Captures;

    public static TheoryData<string> AllCaptures() => CaptureCatalog.All();

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [MemberData(nameof(AllCaptures))]
    public void DecodeExitsZeroOnEveryCaptureWithItsKeys(string name)
    {
        string[] keyArgs = KeyArguments(name);
        var (exit, output) = Run(["decode", Path.Join(Captures, name + ".pcap"), .. keyArgs]);
        if (name == "fakepeer-tests")
        {
            // It holds 11 deliberately invalid packets (captures/README.md), so decode must say so.
            Assert.Equal(1, exit);
            Assert.Contains("305 good, 11 bad", output, StringComparison.Ordinal);
            Assert.Contains("bad packet #44: auth field (not checked by 3.0.6 receivers of netstring packets) digest mismatch", output, StringComparison.Ordinal);
            Assert.Contains("bad packet #291: trailer digest mismatch with key 1", output, StringComparison.Ordinal);
            Assert.Contains("differs only in letter case", output, StringComparison.Ordinal);
            Assert.Contains("bad packet #62: trailer missing", output, StringComparison.Ordinal);
            Assert.Contains("bad packet #127: does not decode: UnknownFraming", output, StringComparison.Ordinal);
            return;
        }

        Assert.True(exit == 0, output);
        Assert.Matches(@"Heartbeat datagram\(s\) in \d+ packet\(s\): \d+ good, 0 bad", output);
    }

    [Fact]
    public void DecodeExitsOneOnATamperedCopyAndNamesThePacket()
    {
        byte[] capture = File.ReadAllBytes(Path.Join(Captures, "md5-bcast.pcap"));

        // Change one character of the first trailer digest: find "%%%\n", then the digest after "1 ".
        int footer = IndexOf(capture, "%%%\n"u8);
        int digest = IndexOf(capture.AsSpan(footer), ":1 "u8) + footer + 3;
        capture[digest] = capture[digest] == (byte)'0' ? (byte)'1' : (byte)'0';
        string tampered = Path.Join(_temp, "tampered.pcap");
        File.WriteAllBytes(tampered, capture);

        var (exit, output) = Run(["decode", tampered, "--key", "1:md5:securepass"]);
        Assert.Equal(1, exit);
        Assert.Contains("1 bad", output, StringComparison.Ordinal);
        Assert.Contains("bad packet #1: trailer digest mismatch with key 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeWithTheWrongKeyFailsEveryPacket()
    {
        var (exit, output) = Run(["decode", Path.Join(Captures, "crc-ucast.pcap"), "--key", "1:md5:securepass"]);
        Assert.Equal(1, exit);
        Assert.Contains("0 good, 82 bad", output, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJsonHasOneObjectPerDatagram()
    {
        var (exit, output) = Run(["decode", Path.Join(Captures, "sha1-mcast.pcap"), "--key", "1:sha1:Sha1TestKey", "--json"]);
        Assert.Equal(0, exit);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(81, lines.Length);
        foreach (string line in lines)
        {
            using var json = System.Text.Json.JsonDocument.Parse(line);
            Assert.True(json.RootElement.GetProperty("good").GetBoolean());
            Assert.Equal("valid", json.RootElement.GetProperty("trailer").GetProperty("status").GetString());
            Assert.True(json.RootElement.GetProperty("fields").TryGetProperty("t", out _));
        }
    }

    [Fact]
    public void CheckConfigAcceptsTheSampleDirectory()
    {
        var (exit, output) = Run(["check-config", Path.Join(Root, "etc", "ha.d")]);
        Assert.True(exit == 0, output);
        Assert.Contains("0 error(s)", output, StringComparison.Ordinal);
        Assert.Contains("configuration valid: nodes server1, server2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckConfigExitsOneAndPrintsFileLineSeverity()
    {
        File.WriteAllText(Path.Join(_temp, "ha.cf"), "keepalive 2\nKeepalive 3\nbcast eth0\nnode server1 server2\n");
        File.WriteAllText(Path.Join(_temp, "authkeys"), "auth 1\n1 md5 secret\n");
        File.SetUnixFileMode(Path.Join(_temp, "authkeys"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.WriteAllText(Path.Join(_temp, "haresources"), "server9 10.0.0.1\n");
        var (exit, output) = Run(["check-config", "--config-dir", _temp]);
        Assert.Equal(1, exit);
        Assert.Contains($"{_temp}/ha.cf:2: error: Illegal directive [Keepalive] (directive names are case-sensitive: write 'keepalive')", output, StringComparison.Ordinal);
        Assert.Contains($"{_temp}/authkeys:0: warning: Bad permissions on keyfile", output, StringComparison.Ordinal);
        Assert.Contains($"{_temp}/haresources:1: error: Bad nodename in {_temp}/haresources [server9]", output, StringComparison.Ordinal);

        var (jsonExit, json) = Run(["check-config", _temp, "--json"]);
        Assert.Equal(1, jsonExit);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.False(document.RootElement.GetProperty("valid").GetBoolean());
        Assert.Contains(document.RootElement.GetProperty("diagnostics").EnumerateArray(), d => d.GetProperty("line").GetInt32() == 2 && d.GetProperty("severity").GetString() == "error");
    }

    [Fact]
    public void CheckConfigNamesAWrapperLineWithTheWrongArgumentCount()
    {
        File.WriteAllText(Path.Join(_temp, "ha.cf"), "keepalive 2\nbcast eth0\nnode server1 server2\n");
        File.WriteAllText(Path.Join(_temp, "authkeys"), "auth 1\n1 md5 secret\n");
        File.SetUnixFileMode(Path.Join(_temp, "authkeys"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Join(_temp, "haresources"), "# groups\nserver1 10.0.0.1 Delay::1 Filesystem::/dev/sdb1\n");
        var (exit, output) = Run(["check-config", _temp]);
        Assert.Equal(1, exit);
        Assert.Contains($"{_temp}/haresources:2: error: Filesystem::/dev/sdb1: Filesystem takes 2 to 4 argument(s)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("configuration valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckConfigOfTheLiveFilesRefusesAReadableKeyFile()
    {
        File.WriteAllText(Path.Join(_temp, "ha.cf"), "keepalive 2\ndeadtime 10\ninitdead 20\nbcast lo\nauto_failback on\nnode server1 server2\n");
        File.WriteAllText(Path.Join(_temp, "authkeys"), "auth 1\n1 md5 secret\n");
        File.SetUnixFileMode(Path.Join(_temp, "authkeys"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        File.WriteAllText(Path.Join(_temp, "haresources"), string.Empty);
        var (exit, output) = Run(["check-config", _temp, "--host-checks", "on", "--node", "server1"]);
        Assert.Equal(1, exit);
        Assert.Contains($"{_temp}/authkeys:0: error: Bad permissions on keyfile [{_temp}/authkeys], 600 recommended", output, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckConfigWithHostChecksNamesTheMissingInterface()
    {
        File.WriteAllText(Path.Join(_temp, "ha.cf"), "keepalive 2\ndeadtime 10\ninitdead 20\nbcast no-such-nic0\nauto_failback on\nnode server1 server2\n");
        File.WriteAllText(Path.Join(_temp, "authkeys"), "auth 1\n1 md5 secret\n");
        File.SetUnixFileMode(Path.Join(_temp, "authkeys"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Join(_temp, "haresources"), string.Empty);
        Assert.Equal(0, Run(["check-config", _temp]).Exit);
        var (exit, output) = Run(["check-config", _temp, "--host-checks", "on", "--node", "server1"]);
        Assert.Equal(1, exit);
        Assert.Contains($"{_temp}/ha.cf:4: error: IP interface [no-such-nic0] does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDirectiveDocsAreGeneratedFromTheTable() =>
        Assert.Equal(DirectiveDocs.Markdown(), File.ReadAllText(Path.Join(Root, "docs", "ha.cf-directives.md")).ReplaceLineEndings("\n"));

    [Fact]
    public void TheHaCfManPageIsGeneratedFromTheTable()
    {
        Assert.Equal(DirectiveManPage.Render(), File.ReadAllText(Path.Join(Root, "docs", "man", "ha.cf.5")).ReplaceLineEndings("\n"));
        var (exit, output) = Run(["check-config", "--directives", "--man"]);
        Assert.Equal(0, exit);
        Assert.Equal(DirectiveManPage.Render(), output);
        Assert.Contains("\n.TP\n\\fBkeepalive\\fR \\fItime\\fR\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain(output, c => c > '~'); // non-ASCII as groff escapes: the page renders alike in every locale
    }

    private static string[] KeyArguments(string name)
    {
        string[] files = CaptureCatalog.AuthKeysFiles(name);
        return files.Length == 0 ? ["--key", CaptureCatalog.BehaviourStudyKeys] : [.. files.SelectMany(f => new[] { "--authkeys", f })];
    }

    /// <summary>hbctl in-process: exit code, and standard output followed by standard error.</summary>
    internal static (int Exit, string Output) Run(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.BuildRoot(output, error).Parse(args).Invoke();
        return (exit, output.ToString() + error.ToString());
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);
}
