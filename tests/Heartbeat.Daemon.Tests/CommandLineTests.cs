namespace Heartbeat.Daemon.Tests;

public class CommandLineTests
{
    [Theory]
    [InlineData("journal", LogTarget.Journal)]
    [InlineData("console", LogTarget.Console)]
    [InlineData("auto", LogTarget.Auto)]
    public void Log_chooses_where_logs_go(string value, LogTarget target)
    {
        Assert.True(CommandLine.TryParse(["--log", value], out var command, out _));
        Assert.Equal(target, command.Settings.LogTarget);
        Assert.False(CommandLine.TryParse(["--log", "syslog"], out _, out string? error));
        Assert.Contains("--log", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-s", DaemonAction.Status)]
    [InlineData("-k", DaemonAction.Stop)]
    [InlineData("-r", DaemonAction.Reload)]
    [InlineData("-V", DaemonAction.Version)]
    [InlineData("-D", DaemonAction.Defaults)]
    [InlineData("-l", DaemonAction.Run)]
    public void The_306_flags_select_the_same_actions(string flag, DaemonAction action)
    {
        Assert.True(CommandLine.TryParse([flag], out var command, out string? error), error);
        Assert.Equal(action, command.Action);
    }

    [Fact]
    public void Flags_combine_and_debug_counts_up()
    {
        Assert.True(CommandLine.TryParse(["-dd", "-l", "-d"], out var command, out _));
        Assert.Equal(3, command.Settings.DebugLevel);
        Assert.Equal(DaemonAction.Run, command.Action);
        Assert.True(command.Settings.NormalPriority);
        Assert.True(CommandLine.TryParse(["-d"], out command, out _));
        Assert.False(command.Settings.NormalPriority);
    }

    [Fact]
    public void Long_options_set_the_paths_and_the_run_dir_moves_the_pid_file()
    {
        Assert.True(CommandLine.TryParse(["--config-dir", "/c", "--state-dir=/s", "--run-dir", "/r", "--node", "server2"], out var command, out _));
        var s = command.Settings;
        Assert.Equal(("/c", "/s", "/r", "/r/heartbeat.pid", "server2"), (s.ConfigDirectory, s.StateDirectory, s.RunDirectory, s.PidFilePath, s.NodeName));

        Assert.True(CommandLine.TryParse(["--pid-file", "/p.pid", "--run-dir", "/r"], out command, out _));
        Assert.Equal("/p.pid", command.Settings.PidFilePath);

        Assert.True(CommandLine.TryParse([], out command, out _));
        Assert.Equal(("/etc/ha.d", "/var/lib/heartbeat", "/run/heartbeat.pid"), (command.Settings.ConfigDirectory, command.Settings.StateDirectory, command.Settings.PidFilePath));
    }

    [Theory]
    [InlineData("-x", "invalid option -- 'x'")]
    [InlineData("--node", "option --node needs a value")]
    [InlineData("--bogus=1", "unknown option '--bogus'")]
    [InlineData("stray", "unexpected argument 'stray'")]
    public void Bad_arguments_say_what_is_wrong(string arg, string message)
    {
        Assert.False(CommandLine.TryParse([arg], out _, out string? error));
        Assert.Equal(message, error);
    }
}

public class MetricsListenOptionTests
{
    [Theory]
    [InlineData("127.0.0.1:9746", "127.0.0.1:9746")]
    [InlineData("[::1]:9746", "[::1]:9746")]
    [InlineData("10.0.0.5:1", "10.0.0.5:1")]
    public void Metrics_listen_takes_an_address_and_port(string value, string expected)
    {
        Assert.True(CommandLine.TryParse(["--metrics-listen", value], out var command, out string? error), error);
        Assert.Equal(expected, command.Settings.MetricsListen!.ToString());
    }

    [Theory]
    [InlineData("9746")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("localhost:9746")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    public void Metrics_listen_refuses_what_is_not_address_and_port(string value)
    {
        Assert.False(CommandLine.TryParse(["--metrics-listen", value], out _, out string? error));
        Assert.Contains("--metrics-listen", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_are_off_by_default() => Assert.True(CommandLine.TryParse([], out var command, out _) && command.Settings.MetricsListen is null);
}
