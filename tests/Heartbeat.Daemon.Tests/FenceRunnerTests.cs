using Heartbeat.Daemon.Fencing;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Heartbeat.Daemon.Tests;

/// <summary>cluster-glue's stonith command lines, its exit codes, and resets run as real children with a timeout.</summary>
public sealed class FenceRunnerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hbnet-fence-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Stonith_host_parameters_go_to_p_and_a_stonith_file_to_F()
    {
        var host = new StonithDevice("*", "external/ssh", "node1 node2", null, 3);
        var file = new StonithDevice(null, "external/ipmi", null, "/etc/ha.d/ipmi.cfg", 4);
        Assert.Equal(["-t", "external/ssh", "-p", "node1 node2", "-T", "reset", "node2"], StonithCommand.ResetArguments(host, "node2"));
        Assert.Equal(["-t", "external/ipmi", "-F", "/etc/ha.d/ipmi.cfg", "-S"], StonithCommand.StatusArguments(file));
    }

    [Theory]
    [InlineData(0, false, FenceResult.Ok)]
    [InlineData(4, false, FenceResult.BadHost)] // S_BADHOST
    [InlineData(5, false, FenceResult.Bad)] // S_RESETFAIL
    [InlineData(1, false, FenceResult.Bad)]
    [InlineData(0, true, FenceResult.Bad)]
    public void Exit_codes_are_classified_as_306_classifies_the_plugins_return(int exit, bool timedOut, FenceResult expected) =>
        Assert.Equal(expected, StonithCommand.Classify(exit, timedOut));

    [Fact]
    public async Task A_reset_through_the_installed_stonith_command_and_its_null_device_succeeds()
    {
        var outcome = await ResetOnce(StonithCommand.DefaultPath, new StonithDevice("*", "null", "server1 server2", null, 1), TimeSpan.FromSeconds(20));
        Assert.Equal(FenceResult.Ok, outcome.Result);
        Assert.Null(outcome.Detail);
    }

    [Fact]
    public async Task A_failing_reset_is_bad_with_the_commands_last_words_and_a_hung_one_is_killed_at_its_timeout()
    {
        string failing = Script("failing", "echo 'Host server1 not reset!' >&2; exit 5");
        var failed = await ResetOnce(failing, new StonithDevice("*", "external/x", "a", null, 1), TimeSpan.FromSeconds(20));
        Assert.Equal((FenceResult.Bad, "exit 5: Host server1 not reset!"), (failed.Result, failed.Detail));

        string hung = Script("hung", "sleep 30");
        var started = DateTime.UtcNow;
        var killed = await ResetOnce(hung, new StonithDevice("*", "external/x", "a", null, 1), TimeSpan.FromMilliseconds(500));
        Assert.Equal(FenceResult.Bad, killed.Result);
        Assert.StartsWith("killed after", killed.Detail, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_device_check_reports_ok_or_not_operational()
    {
        var ok = new FenceRunner(Script("ok", "exit 0"), () => { }, NullLogger.Instance);
        ok.CheckDevice(new StonithDevice("*", "external/x", "a", null, 1), TimeSpan.FromSeconds(10));
        var broken = new FenceRunner(Script("broken", "echo 'device unreachable' >&2; exit 2"), () => { }, NullLogger.Instance);
        broken.CheckDevice(new StonithDevice("*", "external/x", "a", null, 1), TimeSpan.FromSeconds(10));
        for (int i = 0; i < 200 && (ok.DeviceStatus is null || broken.DeviceStatus is null); i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal("OK", ok.DeviceStatus);
        Assert.Equal("not operational (exit 2: device unreachable)", broken.DeviceStatus);
    }

    private static async Task<FenceOutcome> ResetOnce(string stonith, StonithDevice device, TimeSpan timeout)
    {
        using var woken = new SemaphoreSlim(0);
        var runner = new FenceRunner(stonith, () => woken.Release(), NullLogger.Instance);
        runner.Reset(new FenceRequest("server1", 1, device, timeout));
        Assert.True(await woken.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(runner.TryTake(out var outcome));
        Assert.Equal(0, runner.Running);
        return outcome;
    }

    private string Script(string name, string body)
    {
        string path = Path.Join(_directory, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
