using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Respawn;
using Microsoft.Extensions.Time.Testing;

namespace Heartbeat.Protocol.Tests.Respawn;

/// <summary>3.0.6's respawn rules on a fake clock.</summary>
public class RespawnSupervisorTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private DateTimeOffset Now => _clock.GetUtcNow();

    private static RespawnSupervisor Supervisor(params RespawnEntry[] entries) => new(entries);

    /// <summary>One child, started once communication came up (pid 1).</summary>
    private (RespawnSupervisor Supervisor, RespawnChild Child) Running(string command)
    {
        var supervisor = Supervisor(new RespawnEntry("nobody", command, 1));
        supervisor.CommunicationUp(Now);
        return (supervisor, StartDue(supervisor, 1));
    }

    private RespawnChild StartDue(RespawnSupervisor supervisor, int pid)
    {
        var child = Assert.Single(supervisor.TakeDue(Now));
        supervisor.Started(child, pid, Now);
        return child;
    }

    [Fact]
    public void Nothing_starts_before_communication_is_up_then_everything_runnable_does()
    {
        var supervisor = Supervisor(new("nobody", "/usr/local/bin/mon -v", 10), new("hacluster", "/usr/lib/heartbeat/ipfail", 11, HaCfDirectives.IpfailBuiltIn));
        Assert.Empty(supervisor.TakeDue(Now));
        Assert.Null(supervisor.NextDue);

        supervisor.CommunicationUp(Now);

        var child = StartDue(supervisor, 4242);
        Assert.Equal("/usr/local/bin/mon -v", child.Entry.Command);
        Assert.Equal(RespawnState.Running, child.State);
        Assert.Equal(RespawnState.NotRun, supervisor.Children[1].State);
        supervisor.CommunicationUp(Now);
        Assert.Empty(supervisor.TakeDue(Now));
    }

    [Fact]
    public void An_exit_after_a_long_run_restarts_at_once_a_quick_one_a_second_later()
    {
        var (supervisor, child) = Running("/bin/mon");

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(RespawnVerdict.Restart, supervisor.Exited(child, 1, Now));
        Assert.Equal(Now, supervisor.NextDue);
        StartDue(supervisor, 2);

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(RespawnVerdict.Restart, supervisor.Exited(child, 0, Now));
        Assert.Equal(Now + TimeSpan.FromSeconds(1), supervisor.NextDue);
        Assert.Empty(supervisor.TakeDue(Now));
        _clock.Advance(TimeSpan.FromSeconds(1));
        StartDue(supervisor, 3);
        Assert.Equal(2, child.Restarts);
    }

    [Fact]
    public void Exit_100_is_not_restarted()
    {
        var (supervisor, child) = Running("/bin/mon");

        Assert.Equal(RespawnVerdict.ExitedForGood, supervisor.Exited(child, 100, Now));
        Assert.Equal(RespawnState.Stopped, child.State);
        Assert.Null(supervisor.NextDue);
    }

    [Fact]
    public void The_eleventh_quick_exit_in_a_row_is_respawning_too_fast()
    {
        var (supervisor, child) = Running("/bin/false");
        for (int i = 1; i <= RespawnSupervisor.MaxQuickExits; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            Assert.Equal(RespawnVerdict.Restart, supervisor.Exited(child, 1, Now));
            _clock.Advance(RespawnSupervisor.QuickRestartDelay);
            StartDue(supervisor, i + 1);
        }

        Assert.Equal(RespawnVerdict.TooFast, supervisor.Exited(child, 1, Now));
        Assert.Equal(RespawnState.TooFast, child.State);
        Assert.Equal("respawning too fast", child.StateText);
        Assert.Null(supervisor.NextDue);
        Assert.Equal(11, child.Restarts);
    }

    [Fact]
    public void A_long_run_resets_the_quick_count()
    {
        var (supervisor, child) = Running("/bin/mon");
        for (int i = 0; i < 25; i++)
        {
            // Nine quick exits, then a long run, over and over: never too fast.
            _clock.Advance(i % 10 == 9 ? TimeSpan.FromSeconds(31) : TimeSpan.FromSeconds(1));
            Assert.Equal(RespawnVerdict.Restart, supervisor.Exited(child, 1, Now));
            _clock.Advance(RespawnSupervisor.QuickRestartDelay);
            StartDue(supervisor, i + 2);
        }
    }

    [Fact]
    public void Shutdown_terminates_the_running_children_and_restarts_nothing()
    {
        var supervisor = Supervisor(new RespawnEntry("nobody", "/bin/a", 1), new RespawnEntry("nobody", "/bin/b", 2));
        supervisor.CommunicationUp(Now);
        var started = supervisor.TakeDue(Now);
        supervisor.Started(started[0], 10, Now);
        supervisor.Started(started[1], 11, Now);
        Assert.Equal(RespawnVerdict.Restart, supervisor.Exited(started[1], 1, Now));

        var toKill = supervisor.BeginShutdown();

        Assert.Equal([10], toKill.Select(c => c.Pid!.Value));
        Assert.Equal(RespawnVerdict.ShuttingDown, supervisor.Exited(started[0], 143, Now));
        Assert.All(supervisor.Children, c => Assert.Equal(RespawnState.ShutDown, c.State));
        Assert.Null(supervisor.NextDue);
    }
}

/// <summary>The respawn lines of ha.cf.</summary>
public class RespawnConfigTests
{
    [Fact]
    public void Respawn_lines_keep_user_and_command_and_ipfail_is_built_in_not_spawned()
    {
        var result = HaCfParser.Parse("bcast eth0\nnode a b\nrespawn nobody /usr/local/bin/mon  -v --once\nrespawn hacluster /usr/lib/heartbeat/ipfail\nrespawn root /usr/lib/heartbeat/dopd\n"u8, "ha.cf");

        Assert.False(result.HasErrors);
        Assert.Equal(
            [new RespawnEntry("nobody", "/usr/local/bin/mon  -v --once", 3), new RespawnEntry("hacluster", "/usr/lib/heartbeat/ipfail", 4, HaCfDirectives.IpfailBuiltIn), new RespawnEntry("root", "/usr/lib/heartbeat/dopd", 5, "dopd needs heartbeat's client API; HeartbeatNet does not run it")],
            result.Value!.Respawns.ToArray());
        Assert.True(result.Value.IpfailRequested);
        Assert.DoesNotContain(result.Diagnostics, d => d.Line == 4);
        var warning = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning && d.Line == 5);
        Assert.Equal("dopd needs heartbeat's client API; HeartbeatNet does not run it", warning.Message);
    }
}
