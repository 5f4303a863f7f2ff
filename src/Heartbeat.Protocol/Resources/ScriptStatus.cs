using System.Text.RegularExpressions;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// How Heartbeat's ResourceManager reads a script's <c>status</c> output (behaviour.md §9): only stdout counts, the
/// exit code is ignored. "not", a blank, anything, "running" (any case of N/O/T and R) means stopped; otherwise
/// "running" (R in any case) or "OK" means running; anything else means stopped.
/// </summary>
public static partial class ScriptStatus
{
    public static bool IsRunning(string stdout)
    {
        // The shell's case patterns match the whole output, with * spanning newlines.
        if (NotRunning().IsMatch(stdout))
        {
            return false;
        }

        return Running().IsMatch(stdout) || stdout.Contains("OK", StringComparison.Ordinal);
    }

    [GeneratedRegex("[Nn][Oo][Tt] .*[Rr]unning", RegexOptions.Singleline)]
    private static partial Regex NotRunning();

    [GeneratedRegex("[Rr]unning", RegexOptions.Singleline)]
    private static partial Regex Running();
}
