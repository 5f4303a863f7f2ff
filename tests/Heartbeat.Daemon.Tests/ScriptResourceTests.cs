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

    [Fact]
    public async Task A_resource_d_wrapper_runs_the_OCF_agent_with_the_wrappers_environment_and_reads_its_status_text()
    {
        // A recording agent in a private OCF root: it answers monitor with "not running" until started.
        string ocf = Path.Join(_directory, "ocf");
        string agent = Path.Join(ocf, "resource.d", "heartbeat", "Delay");
        Directory.CreateDirectory(Path.GetDirectoryName(agent)!);
        string record = Path.Join(_directory, "agent-calls");
        string state = Path.Join(_directory, "agent-state");
        File.WriteAllText(agent, $"#!/bin/sh\necho \"$1 $OCF_RESOURCE_INSTANCE $OCF_RESKEY_startdelay $OCF_RESKEY_stopdelay $OCF_RA_VERSION_MAJOR.$OCF_RA_VERSION_MINOR $OCF_ROOT\" >> {record}\ncase $1 in start) touch {state};; stop) rm -f {state};; monitor) [ -f {state} ] || exit 7;; esac\nexit 0\n");
        File.SetUnixFileMode(agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var spec = new ResourceSpec("Delay::3::2", "Delay", ["3", "2"], false, null);
        var resource = new ScriptResource(spec, Settings() with { OcfRoot = ocf }, NullLogger.Instance);

        Assert.False(await resource.IsRunningAsync(CancellationToken.None));
        Assert.True((await resource.StartAsync(CancellationToken.None)).Success);
        Assert.True(await resource.IsRunningAsync(CancellationToken.None));
        Assert.True((await resource.StopAsync(CancellationToken.None)).Success);
        Assert.Equal(
            ["monitor Delay_3 3 2 1.0 " + ocf, "start Delay_3 3 2 1.0 " + ocf, "monitor Delay_3 3 2 1.0 " + ocf, "stop Delay_3 3 2 1.0 " + ocf],
            File.ReadAllLines(record));

        // A wrong argument count is the wrapper's usage and exit 1: the agent is not run.
        var wrong = new ScriptResource(new ResourceSpec("Delay::1::2::3", "Delay", ["1", "2", "3"], false, null), Settings() with { OcfRoot = ocf }, NullLogger.Instance);
        var refused = await wrong.StartAsync(CancellationToken.None);
        Assert.False(refused.Success);
        Assert.StartsWith("start exited with 1: usage: Delay", refused.Detail, StringComparison.Ordinal);
        Assert.Equal(4, File.ReadAllLines(record).Length);
    }

    [Fact]
    public async Task A_script_in_resource_d_named_like_a_wrapper_still_wins()
    {
        var resource = Resource("Filesystem", "#!/bin/sh\necho 'mine is running'\n", null, "/dev/x", "/mnt");
        Assert.True(await resource.IsRunningAsync(CancellationToken.None));
    }
}
