using Heartbeat.Protocol.Agents;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// One action of a 3.0.6 resource.d wrapper, carried out natively: the OCF agent is run directly with the environment
/// the wrapper would have exported (<see cref="WrapperCalls"/>), and the run is reported as the wrapper reports it —
/// its one line on stdout ("INFO:  Running OK", "INFO:  Resource is stopped", …) and its exit code
/// (<see cref="WrapperStatus"/>) — so status reads it exactly as it read the wrapper's output. A refusal (usage, missing
/// agent) is the wrapper's message on stdout and exit 1, without any agent run.
/// </summary>
public static class WrapperRun
{
    public static async Task<ScriptRun> RunAsync(
        ResourceWrapper wrapper,
        IReadOnlyList<string> arguments,
        string action,
        ScriptSettings settings,
        string workingDirectory,
        Action<string, bool> line,
        CancellationToken cancellation)
    {
        var decided = WrapperCalls.Build(wrapper, arguments, action, settings.Agents);
        if (decided.Call is not { } call)
        {
            foreach (string said in decided.Refusal!.Split('\n'))
            {
                line(said, false);
            }

            return new ScriptRun(WrapperCall.RefusalExitCode, decided.Refusal + "\n", false, decided.Refusal.Split('\n')[^1], TimeSpan.Zero);
        }

        // The agent's own stdout goes to the log only: ResourceManager saw the wrapper's line, not the agent's output.
        var run = await ScriptProcess.RunAsync(call.AgentPath, [call.AgentAction], settings, call.Environment, workingDirectory, line, cancellation).ConfigureAwait(false);
        if (run.TimedOut)
        {
            return run;
        }

        var reported = wrapper.Style == WrapperArguments.InstanceFile
            ? WrapperStatus.Generic(action, arguments[0], arguments[1], run.Stdout, run.ExitCode)
            : WrapperStatus.Mapped(call.AgentAction, run.ExitCode);
        line(reported.Text, false);
        return run with { ExitCode = reported.ExitCode, Stdout = reported.Text + "\n", LastError = run.LastError ?? reported.Text };
    }
}
