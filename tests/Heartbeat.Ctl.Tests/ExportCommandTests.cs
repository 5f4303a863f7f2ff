using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Ctl.Tests;

/// <summary><c>hbctl export</c> as an admin runs it: the outputs of the pure converter, and file:line errors.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("hbctl-export-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("cib", "cib.xml")]
    [InlineData("pcs", "pcs.sh")]
    [InlineData("crmsh", "crmsh.crm")]
    public void EachFormatAndCorosyncConfEqualTheReviewedOutputs(string format, string file)
    {
        foreach (string name in ExportCases.Names)
        {
            string dir = ExportCases.InputDirectory(name);
            string corosync = Path.Join(_temp, name + ".conf");
            string[] addresses = [.. (ExportCases.NodeAddresses(name) ?? []).SelectMany(a => new[] { "--node-address", $"{a.Key}={string.Join(',', a.Value)}" })];
            var (exit, output) = CtlTests.Run(["export", format, dir, "--corosync", corosync, .. addresses]);
            Assert.True(exit == 0, output);

            // The golden outputs were made as if the files were in /etc/ha.d.
            Assert.Equal(File.ReadAllText(Path.Join(ExportCases.ExpectedDirectory(name), file)), output.Replace(dir, "/etc/ha.d", StringComparison.Ordinal));
            Assert.Equal(File.ReadAllText(Path.Join(ExportCases.ExpectedDirectory(name), "corosync.conf")), File.ReadAllText(corosync).Replace(dir, "/etc/ha.d", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void InputItCannotConvertIsAFileAndLineErrorAndNothingIsWritten()
    {
        foreach (string file in new[] { "ha.cf", "authkeys" })
        {
            File.Copy(Path.Join(ExportCases.InputDirectory("drbd"), file), Path.Join(_temp, file));
        }

        File.WriteAllText(Path.Join(_temp, "haresources"), "# all DRBD resources\nalice drbddisk IPaddr2::192.168.1.100/24/eth0\n");
        string corosync = Path.Join(_temp, "corosync.conf");
        var (exit, output) = CtlTests.Run(["export", "pcs", _temp, "--corosync", corosync]);
        Assert.Equal(1, exit);
        Assert.Contains($"{Path.Join(_temp, "haresources")}:2: error: 'drbddisk': drbddisk without a resource name", output, StringComparison.Ordinal);
        Assert.Contains("nothing exported", output, StringComparison.Ordinal);
        Assert.DoesNotContain("pcs -f", output, StringComparison.Ordinal);
        Assert.False(File.Exists(corosync));
    }

    [Fact]
    public void AMalformedNodeAddressIsBadUsage()
    {
        var (exit, output) = CtlTests.Run(["export", "cib", ExportCases.InputDirectory("article"), "--node-address", "server1"]);
        Assert.Equal(2, exit);
        Assert.Contains("is not NODE=ADDR", output, StringComparison.Ordinal);
    }
}
