using System.Diagnostics;
using System.Text.Json;
using Heartbeat.Ctl.Tests;
using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Aot.Tests;

/// <summary>
/// Both programs published once with NativeAOT, trimming and AOT warnings as errors (a class fixture: the publish takes
/// a minute or two), then run: what only fails at run time in an AOT build (serialization that needed reflection, a
/// type trimmed away) fails these tests.
/// </summary>
public sealed class AotBuilds : IDisposable
{
    public AotBuilds()
    {
        Output = Directory.CreateTempSubdirectory("hbnet-aot-").FullName;
        // The daemon keeps its symbol table (CodeLayoutTests read where its methods landed; a separate .dbg file is
        // emptied by an incremental publish, which strips the already stripped binary again).
        Daemon = Publish("Heartbeat.Daemon", "heartbeat", "-p:StripSymbols=false");
        Ctl = Publish("Heartbeat.Ctl", "hbctl");
    }

    public string Output { get; }

    public (int Code, string Log, string Binary) Daemon { get; }

    public (int Code, string Log, string Binary) Ctl { get; }

    public void Dispose() => Directory.Delete(Output, recursive: true);

    private (int, string, string) Publish(string project, string binary, params string[] properties)
    {
        string directory = Path.Join(Output, project);

        // An earlier publish of the same project (scripts/test.sh builds the .deb first, stripped) leaves a linked
        // binary the next publish takes as up to date: StripSymbols is no input of the link, so the symbols this
        // fixture asks for would be missing (seen: an unstripped publish 5 s after a stripped one, no symbol table).
        // Removing the linked output relinks from the compiler's object file, which stays reused (~10 s).
        string linked = Path.Join(TestPaths.RepositoryRoot, "src", project, "bin", "Release", "net10.0", "linux-x64", "native");
        if (Directory.Exists(linked))
        {
            Directory.Delete(linked, recursive: true);
        }

        var (code, output) = AotPublishTests.Run("dotnet", TimeSpan.FromMinutes(10), ["publish", Path.Join(TestPaths.RepositoryRoot, "src", project),
            "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-warnaserror", "--nologo", "-o", directory, .. properties]);
        return (code, output, Path.Join(directory, binary));
    }
}

/// <summary>One publish for every test class that reads it (a class fixture each would publish twice, at once, into the
/// same intermediate directories).</summary>
[CollectionDefinition(Name)]
public sealed class AotCollection : ICollectionFixture<AotBuilds>
{
    public const string Name = "AOT builds";
}

[Collection(AotCollection.Name)]
public sealed class AotPublishTests(AotBuilds builds)
{
    private static string SampleConfig => Path.Join(TestPaths.RepositoryRoot, "etc", "ha.d");

    [Fact]
    public void The_daemon_publishes_without_a_warning_and_runs()
    {
        Assert.True(builds.Daemon.Code == 0, builds.Daemon.Log);
        Assert.DoesNotContain("warning", builds.Daemon.Log, StringComparison.OrdinalIgnoreCase);
        Assert.True(new FileInfo(builds.Daemon.Binary).Length > 0);

        var (code, version) = Run(builds.Daemon.Binary, TimeSpan.FromSeconds(30), "-V");
        Assert.Equal(0, code);
        Assert.Matches(@"\d+\.\d+\.\d+", version);

        // ha.cf's defaults, and a configuration read and its groups listed: the parsers and the resource model run in
        // the AOT build (the sample's haresources, with an ha.cf for this machine's loopback).
        var (defaultsCode, defaults) = Run(builds.Daemon.Binary, TimeSpan.FromSeconds(30), "-D");
        Assert.Equal(0, defaultsCode);
        Assert.Contains("deadtime", defaults, StringComparison.Ordinal);
        string config = Directory.CreateTempSubdirectory("hbnet-aot-etc-").FullName;
        try
        {
            File.WriteAllText(Path.Join(config, "ha.cf"), "keepalive 1\ndeadtime 3\nucast lo 127.0.0.2\nauto_failback on\nnode server1\nnode server2\ncrm off\n");
            File.WriteAllText(Path.Join(config, "authkeys"), "auth 1\n1 md5 securepass\n");
            File.SetUnixFileMode(Path.Join(config, "authkeys"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Copy(Path.Join(SampleConfig, "haresources"), Path.Join(config, "haresources"));
            var (listCode, keys) = Run(builds.Daemon.Binary, TimeSpan.FromSeconds(30), "resource", "listkeys", "server1", "--config-dir", config, "--node", "server1");
            Assert.True(listCode == 0, keys);
            Assert.Contains("10.10.10.1", keys, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(config, recursive: true);
        }
    }

    [Fact]
    public async Task Hbctl_publishes_without_a_warning_and_its_json_works_both_ways()
    {
        Assert.True(builds.Ctl.Code == 0, builds.Ctl.Log);
        Assert.DoesNotContain("warning", builds.Ctl.Log, StringComparison.OrdinalIgnoreCase);

        // A capture decoded and verified (the wire codec and the authenticator in the AOT build).
        string capture = Path.Join(TestPaths.Captures, "md5-bcast.pcap");
        var (decodeCode, decoded) = Run(builds.Ctl.Binary, TimeSpan.FromSeconds(60), "decode", capture, "--key", "1:md5:securepass");
        Assert.True(decodeCode == 0, decoded);
        Assert.Contains("t=status", decoded, StringComparison.Ordinal);

        // The control protocol: a request serialized by the AOT hbctl, a status document parsed and written back as
        // --json (source-generated serialization only; reflection would be trimmed away here).
        await using (var socket = new FakeControlSocket("hbnet-aot-run-"))
        {
            var (code, json) = Run(builds.Ctl.Binary, TimeSpan.FromSeconds(30), "status", "--json", "--run-dir", socket.RunDirectory);
            Assert.True(code == 0, json);
            Assert.Equal("status", Assert.Single(socket.Requests).Command);
            using var document = JsonDocument.Parse(json);
            Assert.Equal("server1", document.RootElement.GetProperty("node").GetString());
            Assert.Equal("server2", document.RootElement.GetProperty("peers")[0].GetProperty("name").GetString());
            Assert.Equal(2, document.RootElement.GetProperty("groups").GetArrayLength());
        }

        // No daemon: exit 3 with a reason, as cl_status does.
        var (downCode, down) = Run(builds.Ctl.Binary, TimeSpan.FromSeconds(30), "status", "--run-dir", Path.Join(builds.Output, "nowhere"));
        Assert.Equal(3, downCode);
        Assert.Contains("not running", down, StringComparison.Ordinal);
    }

    internal static (int Code, string Output) Run(string file, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
