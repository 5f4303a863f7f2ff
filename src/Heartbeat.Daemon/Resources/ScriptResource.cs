using Heartbeat.Daemon.Logging;
using Heartbeat.Machine;
using Heartbeat.Protocol.Agents;
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

    /// <summary>Where resource-agents' OCF agents are (<c>$OCF_ROOT</c>), for the resource.d wrappers run natively.</summary>
    public string OcfRoot { get; init; } = AgentContext.DefaultOcfRoot;

    /// <summary>The files the wrappers look at (this machine's, or a test's).</summary>
    public IAgentFiles AgentFiles { get; init; } = SystemAgentFiles.Instance;

    /// <summary>The search context: resource.d's parent is the config directory (conf/OCF lives there too).</summary>
    public AgentContext Agents => new(OcfRoot, Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(ResourceDirectory)) ?? "/", AgentFiles)
    {
        ResourceDirectory = ResourceDirectory,
        InitDirectory = InitDirectory,
    };
}

/// <summary>
/// A resource run through Heartbeat's script contract: <c>script [args…] start|stop|status</c>, found in resource.d, then
/// among 3.0.6's resource.d wrappers (run natively: <see cref="WrapperRun"/>), then in init.d (<see cref="ResourceSearch"/>);
/// stdout and stderr go to the log; start/stop succeed on exit 0; status is read from stdout only
/// (<see cref="ScriptStatus"/>). A script that outlives the timeout is killed with its children and counts as failed.
/// </summary>
public sealed class ScriptResource(ResourceSpec spec, ScriptSettings settings, ILogger logger) : IManagedResource
{
    public string Name => spec.Text;

    /// <summary>Where the script comes from now (searched at every action, as ResourceManager does).</summary>
    public ResolvedScript Locate() => ResourceSearch.Resolve(spec.Script, settings.Agents);

    public async Task<ResourceOutcome> StartAsync(CancellationToken cancellation)
    {
        var run = await RunAsync("start", cancellation).ConfigureAwait(false);
        return run is null ? ResourceOutcome.Failed(NotLocated)
            : run.TimedOut ? ResourceOutcome.Failed($"start timed out after {settings.Timeout.TotalSeconds:0.#} s")
            : run.ExitCode == 0 ? ResourceOutcome.Ok("started") : ResourceOutcome.Failed($"start exited with {run.ExitCode}{Said(run)}");
    }

    public async Task<ResourceOutcome> StopAsync(CancellationToken cancellation)
    {
        var run = await RunAsync("stop", cancellation).ConfigureAwait(false);
        return run is null ? ResourceOutcome.Failed(NotLocated)
            : run.TimedOut ? ResourceOutcome.Failed($"stop timed out after {settings.Timeout.TotalSeconds:0.#} s")
            : run.ExitCode == 0 ? ResourceOutcome.Ok("stopped") : ResourceOutcome.Failed($"stop exited with {run.ExitCode}{Said(run)}");
    }

    public async Task<bool> IsRunningAsync(CancellationToken cancellation)
    {
        var run = await RunAsync("status", cancellation).ConfigureAwait(false);

        // 3.0.6 ignores the exit code of status and reads stdout only.
        return run is { TimedOut: false } && ScriptStatus.IsRunning(run.Stdout);
    }

    // 3.0.6: "Cannot locate resource script X", the operation fails with rc 1.
    private string NotLocated => $"Cannot locate resource script {spec.Script} (looked in {settings.ResourceDirectory} and {settings.InitDirectory})";

    /// <summary>Runs the script with the action; null when there is no script to run.</summary>
    private async Task<ScriptRun?> RunAsync(string action, CancellationToken cancellation)
    {
        var found = Locate();
        if (found.Source == ScriptSource.None)
        {
            return null;
        }

        // 3.0.6 runs resource scripts from its cores directory when there is one.
        string directory = Directory.Exists("/var/lib/heartbeat/cores/root") ? "/var/lib/heartbeat/cores/root" : "/";
        Action<string, bool> output = (line, stderr) => ResourceLog.ScriptOutput(logger, Name, action, stderr ? "stderr" : "stdout", line);
        string path = found.Path ?? found.Wrapper!.Name;
        ScriptRun run;
        try
        {
            run = found.Wrapper is { } wrapper
                ? await WrapperRun.RunAsync(wrapper, spec.Arguments, action, settings, directory, output, cancellation).ConfigureAwait(false)
                : await ScriptProcess.RunAsync(path, [.. spec.Arguments, action], settings, null, directory, output, cancellation).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            // An executable the kernel will not run (a bad #! line, a binary for another machine): what a shell
            // reports as 126, with the reason, instead of an exception out of the group worker.
            return new ScriptRun(126, string.Empty, false, $"{path}: {ex.Message}", TimeSpan.Zero);
        }

        if (run.TimedOut)
        {
            ResourceLog.ScriptTimedOut(logger, Name, action, (long)settings.Timeout.TotalMilliseconds);
        }

        return run;
    }

    /// <summary>The script's last line on stderr, which usually says why it failed (": …"), or nothing.</summary>
    private static string Said(ScriptRun run) => run.LastError is { Length: > 0 } said ? $": {(said.Length > 200 ? said[..200] : said)}" : string.Empty;
}
