using System.Diagnostics;
using System.Text;
using Heartbeat.Daemon.Logging;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Resources;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>Where resource scripts live and what they get in their environment.</summary>
public sealed record ScriptSettings
{
    /// <summary><c>/etc/ha.d/resource.d</c>: searched first.</summary>
    public required string ResourceDirectory { get; init; }

    /// <summary><c>/etc/init.d</c>: searched second.</summary>
    public string InitDirectory { get; init; } = "/etc/init.d";

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A resource run through Heartbeat's script contract: <c>script [args…] start|stop|status</c>, found in resource.d then
/// init.d; stdout and stderr go to the log; start/stop succeed on exit 0; status is read from stdout only
/// (<see cref="ScriptStatus"/>). A script that outlives the timeout is killed with its children and counts as failed.
/// </summary>
public sealed class ScriptResource(ResourceSpec spec, ScriptSettings settings, ILogger logger) : IManagedResource
{
    public string Name => spec.Text;

    public string? Locate()
    {
        foreach (string dir in (string[])[settings.ResourceDirectory, settings.InitDirectory])
        {
            string path = Path.Join(dir, spec.Script);
            if (File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return path;
            }
        }

        return null;
    }

    public async Task<ResourceOutcome> StartAsync(CancellationToken cancellation)
    {
        var run = await RunAsync("start", cancellation).ConfigureAwait(false);
        return run.TimedOut ? ResourceOutcome.Failed($"start timed out after {settings.Timeout.TotalSeconds:0.#} s")
            : run.ExitCode == 0 ? ResourceOutcome.Ok("started") : ResourceOutcome.Failed(run.Problem ?? $"start exited with {run.ExitCode}{Said(run)}");
    }

    public async Task<ResourceOutcome> StopAsync(CancellationToken cancellation)
    {
        var run = await RunAsync("stop", cancellation).ConfigureAwait(false);
        return run.TimedOut ? ResourceOutcome.Failed($"stop timed out after {settings.Timeout.TotalSeconds:0.#} s")
            : run.ExitCode == 0 ? ResourceOutcome.Ok("stopped") : ResourceOutcome.Failed(run.Problem ?? $"stop exited with {run.ExitCode}{Said(run)}");
    }

    public async Task<bool> IsRunningAsync(CancellationToken cancellation)
    {
        var run = await RunAsync("status", cancellation).ConfigureAwait(false);

        // 3.0.6 ignores the exit code of status and reads stdout only.
        return !run.TimedOut && run.Problem is null && ScriptStatus.IsRunning(run.Stdout);
    }

    private async Task<ScriptRun> RunAsync(string action, CancellationToken cancellation)
    {
        string? path = Locate();
        if (path is null)
        {
            // 3.0.6: "Cannot locate resource script X", the operation fails with rc 1.
            return new ScriptRun(1, string.Empty, false, $"Cannot locate resource script {spec.Script} (looked in {settings.ResourceDirectory} and {settings.InitDirectory})");
        }

        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Directory.Exists("/var/lib/heartbeat/cores/root") ? "/var/lib/heartbeat/cores/root" : "/",
        };
        foreach (string argument in spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add(action);
        info.Environment["LC_ALL"] = "C";
        foreach (var (name, value) in settings.Environment)
        {
            info.Environment[name] = value;
        }

        var stdout = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (stdout)
                {
                    stdout.Append(line).Append('\n');
                }

                ResourceLog.ScriptOutput(logger, Name, action, "stdout", line);
            }
        };
        string? lastError = null;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    Volatile.Write(ref lastError, line.Trim());
                }

                ResourceLog.ScriptOutput(logger, Name, action, "stderr", line);
            }
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            ResourceLog.ScriptTimedOut(logger, Name, action, (long)settings.Timeout.TotalMilliseconds);
            return new ScriptRun(-1, Snapshot(stdout), true, null, Volatile.Read(ref lastError));
        }

        // WaitForExitAsync returns once the output streams are drained too.
        return new ScriptRun(process.ExitCode, Snapshot(stdout), false, null, Volatile.Read(ref lastError));
    }

    private static string Snapshot(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }

    /// <summary>The script's last line on stderr, which usually says why it failed (": …"), or nothing.</summary>
    private static string Said(ScriptRun run) => run.LastError is { Length: > 0 } said ? $": {(said.Length > 200 ? said[..200] : said)}" : string.Empty;

    private sealed record ScriptRun(int ExitCode, string Stdout, bool TimedOut, string? Problem, string? LastError = null);
}
