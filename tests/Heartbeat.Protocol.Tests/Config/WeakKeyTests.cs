using System.Text;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Tests.Config;

/// <summary>
/// A key anyone can know is reported loudly (a warning at check-config and at every start, naming hbctl keygen), and
/// the node still runs with it: the article's cluster and a 3.0.6 peer signing with it must keep working.
/// </summary>
public sealed class WeakKeyTests
{
    [Theory]
    [InlineData("auth 1\n1 md5 securepass\n", "is 'securepass', the key of a published sample")]
    [InlineData("auth 1\n1 sha1 securepass\n", "is 'securepass', the key of a published sample")]
    [InlineData("auth 2\n2 sha1 fifteen-chars!!\n", "is only 15 character(s) long (fewer than 16)")]
    [InlineData("auth 1\n1 md5 x\n", "is only 1 character(s) long")]
    public void AWeakKeyIsAWarningThatNamesKeygen(string text, string reason)
    {
        var result = AuthKeysParser.Parse(Encoding.ASCII.GetBytes(text), "authkeys", null);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.NotNull(result.Value);
        var warning = Assert.Single(result.Diagnostics, d => d.Message.StartsWith("WEAK KEY", StringComparison.Ordinal));
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal(2, warning.Line);
        Assert.Contains(reason, warning.Message, StringComparison.Ordinal);
        Assert.Contains("hbctl keygen", warning.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void CrcSaysHowToMakeARealKey()
    {
        var result = AuthKeysParser.Parse("auth 1\n1 crc\n"u8, "authkeys", null);
        var warning = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning);
        Assert.Contains("authenticates nothing", warning.Message, StringComparison.Ordinal);
        Assert.Contains("hbctl keygen", warning.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auth 1\n1 sha1 0123456789abcdef\n")]
    [InlineData("auth 1\n1 md5 a-long-passphrase-nobody-published\n")]
    public void ALongUnpublishedKeyIsNotReported(string text)
    {
        var result = AuthKeysParser.Parse(Encoding.ASCII.GetBytes(text), "authkeys", null);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void TheArticlesSampleStillLoadsAndSaysSo()
    {
        string dir = Path.Join(Support.TestPaths.RepositoryRoot, "etc", "ha.d");
        var files = new ConfigFiles(dir, File.ReadAllBytes(Path.Join(dir, "ha.cf")), File.ReadAllBytes(Path.Join(dir, "authkeys")), UnixFileMode.UserRead | UnixFileMode.UserWrite, File.ReadAllBytes(Path.Join(dir, "haresources")));
        var check = ClusterConfigLoader.Load(files, host: null);
        Assert.NotNull(check.Config);
        Assert.Contains(check.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning && d.Message.Contains("'securepass', the key of a published sample", StringComparison.Ordinal));
    }
}
