namespace Heartbeat.Protocol.Agents;

/// <summary>A wrapper's output line and exit code for one agent run.</summary>
public readonly record struct WrapperResult(string Text, int ExitCode);

/// <summary>
/// What 3.0.6's wrappers print and return after the agent ran. ResourceManager reads only that text for status
/// (<see cref="Resources.ScriptStatus"/>), so the words matter: "Running OK" means running, "Resource is stopped" not.
/// </summary>
public static class WrapperStatus
{
    /// <summary>
    /// hto-mapfuncs' <c>ra_execocf</c>: one line per OCF return code and the code itself, except an unknown code, which
    /// becomes exit 1. The wrappers never set the <c>$rsc_type</c> the messages name, hence the double blank.
    /// </summary>
    public static WrapperResult Mapped(string agentAction, int agentExit) => agentExit switch
    {
        0 => new(agentAction == "monitor" ? "INFO:  Running OK" : "INFO:  Success", 0),
        1 => new("ERROR:  Generic error", 1),
        2 => new("ERROR:  Illegal argument", 2),
        3 => new("ERROR:  Function unimplemented", 3),
        4 => new("ERROR:  User had insufficient privilege", 4),
        5 => new("ERROR:  Program is not installed", 5),
        6 => new("ERROR:  Program is not configured", 6),
        7 => new("INFO:  Resource is stopped", 7),
        _ => new($"ERROR:  Unknown error: {agentExit}", 1),
    };

    /// <summary>
    /// The generic OCF wrapper's <c>ocf_status</c>: exit 0 prints the agent's output when it says OK or running, else
    /// "OCF Resource type::instance is running"; any other exit turns an OK/running output into "… is stopped" and
    /// keeps the code. Other actions pass the agent's output and code through.
    /// </summary>
    public static WrapperResult Generic(string action, string type, string instance, string agentOutput, int agentExit)
    {
        if (action != "status")
        {
            return new(agentOutput.TrimEnd('\n'), agentExit);
        }

        // `echo $statoutput`: word splitting folds every run of blanks and newlines into one blank.
        string said = string.Join(' ', agentOutput.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries));
        bool saysRunning = said.Contains("OK", StringComparison.Ordinal) || said.Contains("running", StringComparison.Ordinal);
        string name = $"OCF Resource {type}::{instance}";
        return agentExit == 0
            ? new(saysRunning ? said : $"{name} is running", 0)
            : new(saysRunning ? $"{name} is stopped" : said, agentExit);
    }
}
