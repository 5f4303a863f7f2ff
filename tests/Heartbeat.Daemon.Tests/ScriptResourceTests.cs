using System.Collections.Immutable;
using Heartbeat.Daemon.Resources;
using Heartbeat.Protocol.Config;
using Microsoft.Extensions.Logging.Abstractions;

namespace Heartbeat.Daemon.Tests;

/// <summary>The resource-script contract run against real scripts in a private directory.</summary>
public sealed class ScriptResourceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hbnet-scripts-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ScriptSettings Settings(TimeSpan? timeout = null) => new()
    {
        ResourceDirectory = _directory,
        InitDirectory = Path.Join(_directory, "no-init.d"),
        Timeout = timeout ?? TimeSpan.FromSeconds(10),
        Environment = new Dictionary<string, string> { ["HA_CURHOST"] = "server1" },
    };

    private ScriptResource Resource(string script, string body, ScriptSettings? settings = null, params string[] arguments)
    {
        string path = Path.Join(_directory, script);
        File.WriteAllText(path, body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var spec = new ResourceSpec(string.Join("::", [script, .. arguments]), script, [.. arguments], false, null);
        return new ScriptResource(spec, settings ?? Settings(), NullLogger.Instance);
    }

    [Fact]
    public async Task Start_and_stop_pass_the_arguments_then_the_action_and_the_environment()
    {
        string record = Path.Join(_directory, "calls");
        var resource = Resource("svc", $"#!/bin/sh\necho \"$* $HA_CURHOST $LC_ALL\" >> {record}\n", null, "a", "b");

        Assert.True((await resource.StartAsync(CancellationToken.None)).Success);
        Assert.True((await resource.StopAsync(CancellationToken.None)).Success);
        Assert.Equal(["a b start server1 C", "a b stop server1 C"], File.ReadAllLines(record));
    }

    [Fact]
    public async Task A_failed_start_says_the_exit_code_and_the_scripts_last_stderr_line()
    {
        var resource = Resource("svc", "#!/bin/sh\necho starting\necho 'first complaint' >&2\necho 'port 3306 in use' >&2\n\nexit 7\n");

        var outcome = await resource.StartAsync(CancellationToken.None);

        Assert.False(outcome.Success);
        Assert.Equal("start exited with 7: port 3306 in use", outcome.Detail);
    }

    [Fact]
    public async Task Status_is_read_from_stdout_only_whatever_the_exit_code()
    {
        // 3.0.6 ignores the exit code of status: "running" (or "OK") on stdout means running.
        Assert.True(await Resource("up", "#!/bin/sh\necho 'svc is running'\nexit 3\n").IsRunningAsync(CancellationToken.None));
        Assert.False(await Resource("down", "#!/bin/sh\necho 'svc is stopped'\nexit 0\n").IsRunningAsync(CancellationToken.None));
        Assert.False(await Resource("stderr", "#!/bin/sh\necho running >&2\n").IsRunningAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_script_that_outlives_the_timeout_is_killed_with_its_children()
    {
        string child = Path.Join(_directory, "child.pid");
        var resource = Resource("hang", $"#!/bin/sh\nsleep 60 &\necho $! > {child}\nwait\n", Settings(TimeSpan.FromMilliseconds(500)));

        var outcome = await resource.StartAsync(CancellationToken.None);

        Assert.False(outcome.Success);
        Assert.Equal("start timed out after 0.5 s", outcome.Detail);
        int pid = int.Parse(File.ReadAllText(child).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal), "the script's child outlived it");
    }

    [Fact]
    public async Task A_missing_script_fails_with_where_it_was_looked_for()
    {
        var spec = new ResourceSpec("nosuch::x", "nosuch", ImmutableArray.Create("x"), false, null);
        var resource = new ScriptResource(spec, Settings(), NullLogger.Instance);

        var outcome = await resource.StartAsync(CancellationToken.None);

        Assert.False(outcome.Success);
        Assert.StartsWith("Cannot locate resource script nosuch (looked in ", outcome.Detail, StringComparison.Ordinal);
        Assert.False(await resource.IsRunningAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_script_the_kernel_will_not_run_is_a_failed_start_not_a_crash()
    {
        var resource = Resource("badshebang", "#!/nonexistent/interpreter\n");

        var outcome = await resource.StartAsync(CancellationToken.None);

        Assert.False(outcome.Success);
        Assert.StartsWith("start exited with 126: ", outcome.Detail, StringComparison.Ordinal);
        Assert.Contains("badshebang", outcome.Detail, StringComparison.Ordinal);
    }
}
