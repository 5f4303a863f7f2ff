using Heartbeat.Protocol.Config;

namespace Heartbeat.Ctl.Tests;

/// <summary>hbctl keygen: a random sha1 authkeys, mode 600, that check-config accepts without a weak-key warning.</summary>
public sealed class KeygenTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("hbctl-keygen-").FullName;

    private string AuthKeys => Path.Join(_temp, "authkeys");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void WritesARandomSha1KeyWithMode600()
    {
        var (exit, output) = Run(["keygen", _temp]);
        Assert.True(exit == 0, output);
        Assert.Contains($"wrote {AuthKeys}", output, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(AuthKeys));
        var parsed = AuthKeysParser.Parse(File.ReadAllBytes(AuthKeys), AuthKeys, File.GetUnixFileMode(AuthKeys));
        Assert.Empty(parsed.Diagnostics);
        Assert.Equal(1, parsed.Value!.ActiveIndex);
        Assert.Equal(Heartbeat.Protocol.Auth.AuthMethod.Sha1, parsed.Value.Active.Method);
        Assert.Matches("^[0-9a-f]{40}$", System.Text.Encoding.ASCII.GetString(parsed.Value.Active.Secret.AsSpan()));
    }

    [Fact]
    public void RefusesToReplaceAnExistingFileAndNamesIt()
    {
        File.WriteAllText(AuthKeys, "auth 1\n1 md5 the-cluster-key-in-use\n");
        var (exit, output) = Run(["keygen", _temp]);
        Assert.Equal(1, exit);
        Assert.Contains($"{AuthKeys} already exists", output, StringComparison.Ordinal);
        Assert.Contains("--force", output, StringComparison.Ordinal);
        Assert.Equal("auth 1\n1 md5 the-cluster-key-in-use\n", File.ReadAllText(AuthKeys));
    }

    [Fact]
    public void ForceReplacesItWithANewKey()
    {
        Assert.Equal(0, Run(["keygen", _temp]).Exit);
        string first = File.ReadAllText(AuthKeys);
        File.SetUnixFileMode(AuthKeys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Equal(0, Run(["keygen", "--force", _temp]).Exit);
        Assert.NotEqual(first, File.ReadAllText(AuthKeys));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(AuthKeys));
        Assert.Single(Directory.GetFiles(_temp)); // no temporary file left beside it
    }

    [Fact]
    public void AMissingDirectoryIsAnError()
    {
        var (exit, output) = Run(["keygen", Path.Join(_temp, "nowhere")]);
        Assert.Equal(1, exit);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckConfigWarnsAboutTheSamplesKeyAndNamesKeygen()
    {
        File.WriteAllText(Path.Join(_temp, "ha.cf"), "keepalive 2\ndeadtime 10\nbcast lo\nauto_failback on\nnode server1 server2\n");
        File.WriteAllText(AuthKeys, "auth 1\n1 md5 securepass\n");
        File.SetUnixFileMode(AuthKeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Join(_temp, "haresources"), string.Empty);
        var (exit, output) = Run(["check-config", _temp]);
        Assert.True(exit == 0, output); // it still runs with it
        Assert.Contains($"{AuthKeys}:2: warning: WEAK KEY: key 1 is 'securepass', the key of a published sample", output, StringComparison.Ordinal);
        Assert.Contains("hbctl keygen --force /etc/ha.d", output, StringComparison.Ordinal);

        Assert.Equal(0, Run(["keygen", "--force", _temp]).Exit);
        var (_, after) = Run(["check-config", _temp]);
        Assert.Contains("0 error(s), 0 warning(s)", after, StringComparison.Ordinal);
    }

    private static (int Exit, string Output) Run(string[] args) => CtlTests.Run(args);
}
