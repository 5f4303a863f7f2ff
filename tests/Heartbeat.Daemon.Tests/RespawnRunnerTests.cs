using Heartbeat.Daemon.Respawn;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Control;
using Microsoft.Extensions.Logging.Abstractions;

namespace Heartbeat.Daemon.Tests;

/// <summary>respawn children as real processes: restarted after an exit, not after exit 100, SIGTERM at shutdown.</summary>
public sealed class RespawnRunnerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hbnet-respawn-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<RespawnReport> WaitFor(RespawnRunner runner, int index, Func<RespawnReport, bool> done, TimeSpan? timeout = null)
    {
        for (int i = 0; i < (timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds / 50; i++)
        {
            var report = runner.Report()[index];
            if (done(report))
            {
                return report;
            }

            await Task.Delay(50);
        }

        return runner.Report()[index];
    }

    [Fact]
    public async Task A_child_is_restarted_after_an_exit_but_not_after_exit_100_and_gets_SIGTERM_at_shutdown()
    {
        string runs = Path.Join(_directory, "runs");
        string once = Path.Join(_directory, "once");
        string term = Path.Join(_directory, "term");
        string trapped = Path.Join(_directory, "trapped");

        // The first run exits 3; the second stays (and records the SIGTERM); the other child exits 100 at once. The
        // second says when its trap is set: a SIGTERM before that would end the shell without recording it.
        string stays = $"/bin/sh -c 'echo run >> {runs}; [ $(wc -l < {runs}) -ge 2 ] || exit 3; trap \"echo term > {term}; exit 0\" TERM; touch {trapped}; while :; do sleep 0.1; done'";
        var runner = new RespawnRunner(
            [new RespawnEntry(Environment.UserName, stays, 1), new RespawnEntry(Environment.UserName, $"/bin/sh -c 'echo x >> {once}; exit 100'", 2)],
            TimeProvider.System,
            NullLogger.Instance);
        Assert.All(runner.Report(), r => Assert.Equal("waiting", r.State));

        runner.CommunicationUp();

        var restarted = await WaitFor(runner, 0, r => r.Restarts == 1 && r.State == "running");
        Assert.Equal((1, "running", "exit 3"), (restarted.Restarts, restarted.State, restarted.LastExit));
        Assert.NotNull(restarted.Pid);
        var stopped = await WaitFor(runner, 1, r => r.State == "stopped");
        Assert.Equal(("stopped", "exit 100", 0), (stopped.State, stopped.LastExit, stopped.Restarts));
        Assert.Single(File.ReadAllLines(once));
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); !File.Exists(trapped); await Task.Delay(20))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the restarted child never set its trap");
        }

        await runner.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal("term", File.ReadAllText(term).Trim());
        Assert.Equal("shut down", runner.Report()[0].State);
        await runner.DisposeAsync();
    }

    [Fact]
    public async Task A_child_that_keeps_exiting_at_once_is_given_up_after_its_eleventh_run()
    {
        string runs = Path.Join(_directory, "fast");
        var runner = new RespawnRunner([new RespawnEntry(Environment.UserName, $"/bin/sh -c 'echo run >> {runs}; exit 1'", 1), new RespawnEntry("nobody", "/bin/sleep 30", 2)], TimeProvider.System, new Microsoft.Extensions.Logging.Abstractions.NullLogger<RespawnRunner>());
        runner.CommunicationUp();

        var report = await WaitFor(runner, 0, r => r.State == "respawning too fast", TimeSpan.FromSeconds(30));

        Assert.Equal(("respawning too fast", 11), (report.State, report.Restarts));
        Assert.Equal(11, File.ReadAllLines(runs).Length);
        await runner.DisposeAsync();
    }
}
