using System.ComponentModel;
using System.Diagnostics;
using Heartbeat.Daemon.Interop;
using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Respawn;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Respawn;

/// <summary>
/// The I/O of <c>respawn</c> children; every decision is <see cref="RespawnSupervisor"/>'s. Each child is started as
/// 3.0.6 starts it: in a process group of its own (setsid), with stdin, stdout and stderr on /dev/null, as its user
/// (setpriv with the user's groups), through <c>/bin/sh -c "exec …"</c>. Exits are reported to the supervisor; at
/// shutdown each running child's process group gets SIGTERM. Threads: its own loop task starts children; exits arrive
/// on the thread pool; the supervisor is only touched under one lock.
/// </summary>
public sealed class RespawnRunner : IAsyncDisposable
{
    private readonly RespawnSupervisor _supervisor;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _watchers = [];
    private Task? _loop;

    public RespawnRunner(IEnumerable<RespawnEntry> entries, TimeProvider time, ILogger logger)
    {
        _supervisor = new RespawnSupervisor(entries);
        _time = time;
        _logger = logger;
        foreach (var child in _supervisor.Children.Where(c => c.Entry.NotRun is not null))
        {
            RespawnLog.NotRun(logger, child.Entry.Command, child.Entry.Line, child.Entry.NotRun!);
        }
    }

    /// <summary>Communication is up: the children start (the first call only; later calls change nothing).</summary>
    public void CommunicationUp()
    {
        if (_supervisor.Children.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            _supervisor.CommunicationUp(_time.GetUtcNow());
            _loop ??= Task.Run(LoopAsync);
        }

        _wake.Release();
    }

    /// <summary>Every respawn line as <c>hbctl status</c> shows it.</summary>
    public IReadOnlyList<RespawnReport> Report()
    {
        lock (_gate)
        {
            return [.. _supervisor.Children.Select(c => new RespawnReport(c.Entry.Command, c.Entry.User, c.Pid, c.Restarts, c.StateText, c.LastExit ?? c.Entry.NotRun))];
        }
    }

    /// <summary>Shutdown: nothing starts any more, each running child's process group gets SIGTERM, and their exits are awaited up to <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        IReadOnlyList<RespawnChild> running;
        Task[] watchers;
        lock (_gate)
        {
            running = _supervisor.BeginShutdown();
            watchers = [.. _watchers];
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var child in running)
        {
            RespawnLog.Killing(_logger, child.Entry.Command, child.Pid!.Value);
            Kill.Send(-child.Pid.Value, Kill.SigTerm);
        }

        await Task.WhenAny(Task.WhenAll(watchers), Task.Delay(grace, CancellationToken.None)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            IReadOnlyList<RespawnChild> due;
            lock (_gate)
            {
                due = _supervisor.TakeDue(_time.GetUtcNow());
            }

            foreach (var child in due)
            {
                Spawn(child);
            }

            DateTimeOffset? next;
            lock (_gate)
            {
                next = _supervisor.NextDue;
            }

            var wait = next is { } at ? TimeSpan.FromTicks(Math.Max(0, (at - _time.GetUtcNow()).Ticks)) : Timeout.InfiniteTimeSpan;
            try
            {
                await _wake.WaitAsync(wait, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Spawn(RespawnChild child)
    {
        var entry = child.Entry;
        Process process;
        try
        {
            process = Process.Start(StartInfo(entry)) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or KeyNotFoundException)
        {
            RespawnLog.CannotStart(_logger, entry.Command, entry.User, ex.Message);
            lock (_gate)
            {
                _supervisor.StartFailed(child, ex.Message);
            }

            return;
        }

        // Read once: a child that exits at once may be reaped, and its Process disposed, by WatchAsync before the
        // log line below.
        int pid = process.Id;
        RespawnLog.Executing(_logger, entry.Command, pid, entry.User);
        lock (_gate)
        {
            _supervisor.Started(child, pid, _time.GetUtcNow());
            _watchers.Add(WatchAsync(child, process));
        }
    }

    private async Task WatchAsync(RespawnChild child, Process process)
    {
        int exitCode;
        using (process)
        {
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            exitCode = process.ExitCode;
        }

        RespawnVerdict verdict;
        lock (_gate)
        {
            verdict = _supervisor.Exited(child, exitCode, _time.GetUtcNow());
        }

        string command = child.Entry.Command;
        switch (verdict)
        {
            case RespawnVerdict.Restart:
                RespawnLog.Exited(_logger, command, exitCode);
                RespawnLog.Respawning(_logger, command);
                break;
            case RespawnVerdict.ExitedForGood:
                RespawnLog.ExitedForGood(_logger, command);
                break;
            case RespawnVerdict.TooFast:
                RespawnLog.Exited(_logger, command, exitCode);
                RespawnLog.TooFast(_logger, command);
                break;
        }

        _wake.Release();
    }

    /// <summary>
    /// <c>setsid /bin/sh -c 'exec &lt;/dev/null &gt;/dev/null 2&gt;&amp;1; exec "$@"' sh [setpriv --reuid U --regid G --init-groups] /bin/sh -c "exec COMMAND"</c>:
    /// every step execs in place, so the pid is the command's, and it leads its own process group (3.0.6's setpgid) for
    /// the SIGTERM at shutdown. /dev/null is opened before the user is changed, as 3.0.6 opens it before its setuid
    /// (a user may lack the right to open it).
    /// </summary>
    private static ProcessStartInfo StartInfo(RespawnEntry entry)
    {
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (string word in (string[])["/bin/sh", "-c", "exec </dev/null >/dev/null 2>&1; exec \"$@\"", "sh"])
        {
            info.ArgumentList.Add(word);
        }

        if (entry.User != Environment.UserName)
        {
            int gid = PrimaryGroup(entry.User) ?? throw new KeyNotFoundException($"no user {entry.User} in /etc/passwd");
            foreach (string word in (string[])["setpriv", $"--reuid={entry.User}", $"--regid={gid}", "--init-groups"])
            {
                info.ArgumentList.Add(word);
            }
        }

        info.ArgumentList.Add("/bin/sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec {entry.Command}");
        return info;
    }

    /// <summary>The user's primary group from /etc/passwd (setpriv needs it with --init-groups), or null.</summary>
    private static int? PrimaryGroup(string user)
    {
        foreach (string line in File.ReadLines("/etc/passwd"))
        {
            string[] fields = line.Split(':');
            if (fields.Length > 3 && fields[0] == user && int.TryParse(fields[3], System.Globalization.CultureInfo.InvariantCulture, out int gid))
            {
                return gid;
            }
        }

        return null;
    }
}
