using System.Diagnostics;
using System.Globalization;
using Heartbeat.Daemon.Node;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Tests;

/// <summary>
/// ha.cf's realtime: the calling thread under SCHED_FIFO at rtprio (3.0.6's priority 1 by default), while scripts it
/// starts run with the normal policy; refused realtime (no CAP_SYS_NICE) is one warning, not an error.
/// </summary>
public class RealtimeThreadsTests
{
    [Fact]
    public void A_thread_entered_runs_fifo_at_the_priority_and_a_script_it_starts_runs_normally()
    {
        var logger = new CountingLogger();
        var realtime = new RealtimeThreads(enabled: true, priority: null, logger);
        (bool Entered, long Policy, long Priority, long ChildPolicy, long ChildPriority) seen = default;
        var thread = new Thread(() =>
        {
            bool entered = realtime.Enter("test");
            var (policy, priority) = Scheduling(File.ReadAllText("/proc/thread-self/stat"));
            using var child = Process.Start(new ProcessStartInfo("cat", "/proc/self/stat") { RedirectStandardOutput = true })!;
            string childStat = child.StandardOutput.ReadToEnd();
            child.WaitForExit(10_000);
            var (childPolicy, childPriority) = Scheduling(childStat);
            seen = (entered, policy, priority, childPolicy, childPriority);
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal((0L, 0L), (seen.ChildPolicy, seen.ChildPriority));
        if (seen.Entered)
        {
            Assert.Equal((1L, (long)RealtimeThreads.DefaultPriority), (seen.Policy, seen.Priority));
            Assert.Equal(0, logger.Warnings);
        }
        else
        {
            // Not allowed here (not root, or a container): the normal policy and one warning.
            Assert.Equal((0L, 0L), (seen.Policy, seen.Priority));
            Assert.False(realtime.Enter("again"));
            Assert.Equal(1, logger.Warnings);
        }
    }

    [Fact]
    public void With_realtime_off_nothing_changes()
    {
        var logger = new CountingLogger();
        var realtime = new RealtimeThreads(enabled: false, priority: 50, logger);
        long policy = -1;
        var thread = new Thread(() =>
        {
            Assert.False(realtime.Enter("test"));
            policy = Scheduling(File.ReadAllText("/proc/thread-self/stat")).Policy;
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, policy);
        Assert.Equal(0, logger.Warnings);
    }

    /// <summary>proc(5) stat: rt_priority and policy are fields 40 and 41; the command name (2) may hold spaces.</summary>
    private static (long Policy, long Priority) Scheduling(string stat)
    {
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

        // fields[0] is field 3 (state).
        return (long.Parse(fields[41 - 3], CultureInfo.InvariantCulture), long.Parse(fields[40 - 3], CultureInfo.InvariantCulture));
    }

    private sealed class CountingLogger : ILogger
    {
        public int Warnings { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings++;
            }
        }
    }
}
