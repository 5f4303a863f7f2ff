using System.Collections.Frozen;

namespace Heartbeat.Protocol.Config;

/// <summary>
/// Reads ha.cf with 3.0.6's lexical rules (config-reference.md §1.1): '#' comments anywhere, no continuation lines,
/// case-sensitive directive names, values split on blanks, tabs and commas and applied one by one, the last value
/// winning. Then the whole-file checks of §1.3 that need no knowledge of the host.
/// </summary>
public static class HaCfParser
{
    /// <summary>3.0.6 reads lines into a buffer of about 1000 characters; a longer line is cut and misread.</summary>
    public const int MaxLineLength = 1000;

    private static readonly FrozenSet<string> MultiValued = FrozenSet.ToFrozenSet(
    [
        "node", "bcast", "udp", "mcast", "ucast", "mcast6", "ucast6", "serial", "ping", "ping6", "ping_group",
        "env", "apiauth", "respawn", "failfast", "stonith_host",
    ]);

    public static ParseResult<HaCf> Parse(ReadOnlySpan<byte> content, string path)
    {
        var diagnostics = new DiagnosticBag(path);
        var builder = new HaCfBuilder();
        string? previousLine = null;
        foreach (var line in ConfigLines.Split(content))
        {
            if (line.Text.Length > MaxLineLength)
            {
                diagnostics.Error(line.Number, $"line is {line.Text.Length} characters long; Heartbeat 3.0.6 reads at most {MaxLineLength} and would misread it");
                previousLine = line.Text;
                continue;
            }

            string text = ConfigLines.StripComment(line.Text).Trim(' ', '\t');
            if (text.Length > 0)
            {
                ApplyLine(builder, diagnostics, line.Number, text, previousLine);
            }

            previousLine = line.Text;
        }

        CheckWholeFile(builder, diagnostics);

        // The value is built even when there are errors, so the other files can still be checked against it
        // (all problems are reported at once, as 3.0.6 does); callers must not run with it when HasErrors.
        return new ParseResult<HaCf>(builder.Build(), diagnostics.Items);
    }

    private static void ApplyLine(HaCfBuilder builder, DiagnosticBag diagnostics, int lineNumber, string text, string? previousLine)
    {
        int split = text.IndexOfAny([' ', '\t']);
        string name = split < 0 ? text : text[..split];
        string rest = split < 0 ? string.Empty : text[(split + 1)..].Trim(' ', '\t');
        if (!HaCfDirectives.ByName.TryGetValue(name, out var directive))
        {
            diagnostics.Error(lineNumber, $"Illegal directive [{name}]", UnknownDirectiveHint(name, previousLine));
            return;
        }

        var context = new DirectiveContext(diagnostics, lineNumber, name);
        if (directive.OnceOnly)
        {
            // crm and pacemaker are one setting in 3.0.6 ("pacemaker/crm directive used multiple times!").
            string onceKey = name is "pacemaker" ? "crm" : name;
            if (builder.Seen.TryGetValue(onceKey, out int first))
            {
                context.Error($"{name} is given again (first on line {first}); Heartbeat 3.0.6 refuses a second occurrence");
                return;
            }

            builder.Seen[onceKey] = lineNumber;
        }
        else if (!MultiValued.Contains(name) && builder.Seen.TryGetValue(name, out int earlier))
        {
            context.Warning($"{name} is set again (first on line {earlier}); the last value wins, as in 3.0.6");
        }
        else
        {
            builder.Seen.TryAdd(name, lineNumber);
        }

        if (directive.WholeLine)
        {
            if (rest.Length == 0)
            {
                context.Error($"{name} needs arguments: {directive.Arguments}");
                return;
            }

            directive.Apply(builder, context, rest);
            return;
        }

        string[] values = rest.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
        if (values.Length == 0)
        {
            context.Error($"{name} needs a value: {directive.Arguments}");
            return;
        }

        if (values.Length > 1 && !MultiValued.Contains(name))
        {
            context.Warning($"{name} has {values.Length} values ({string.Join(' ', values)}); 3.0.6 applies each in turn, so the last valid one wins", "'500 ms' is two values: write '500ms'");
        }

        foreach (string value in values)
        {
            directive.Apply(builder, context, value);
        }
    }

    private static string? UnknownDirectiveHint(string name, string? previousLine)
    {
        if (previousLine is not null && ConfigLines.StripComment(previousLine).TrimEnd(' ', '\t').EndsWith('\\'))
        {
            return "ha.cf has no line continuation: the '\\' at the end of the previous line does not join this line to it";
        }

        int equals = name.IndexOf('=', StringComparison.Ordinal);
        if (equals > 0 && HaCfDirectives.ByName.ContainsKey(name[..equals]))
        {
            return $"write '{name[..equals]} {name[(equals + 1)..]}': ha.cf uses a blank, not '='";
        }

        if (HaCfDirectives.ByName.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) is { } sameLetters)
        {
            return $"directive names are case-sensitive: write '{sameLetters}'";
        }

        if (HaCfDirectives.NotBuiltIn.Contains(name))
        {
            return $"the Debian build of Heartbeat 3.0.6 has no {name} plugin either";
        }

        var close = HaCfDirectives.ByName.Keys.Where(k => Levenshtein(k, name) <= 2).OrderBy(k => Levenshtein(k, name)).FirstOrDefault();
        return close is null ? "not a Heartbeat 3.0.6 ha.cf directive" : $"did you mean '{close}'?";
    }

    private static void CheckWholeFile(HaCfBuilder b, DiagnosticBag diagnostics)
    {
        if (b.Media.Count == 0)
        {
            diagnostics.Error(0, "No heartbeat media defined", "add at least one bcast, mcast or ucast line");
        }

        if (b.Nodes.Count == 0)
        {
            diagnostics.Error(0, "no nodes defined", "add a 'node' line with every cluster member's uname -n");
        }

        var keepalive = b.EffectiveKeepalive;
        var deadtime = b.EffectiveDeadtime;
        int Line(string directive) => b.Seen.GetValueOrDefault(directive);
        if (keepalive <= TimeSpan.Zero)
        {
            diagnostics.Error(Line("keepalive"), "keepalive must be above 0");
        }

        if (deadtime <= keepalive * 2)
        {
            diagnostics.Error(Line("deadtime"), $"Dead time [{Ms(deadtime)}] is too small compared to keepalive [{Ms(keepalive)}]", "deadtime must be more than twice keepalive");
        }

        var initdead = b.EffectiveInitdead;
        if (initdead < deadtime)
        {
            diagnostics.Error(Line("initdead"), $"Initial dead time [{Ms(initdead)}] is smaller than deadtime [{Ms(deadtime)}]");
        }
        else if (initdead < TimeSpan.FromSeconds(10))
        {
            diagnostics.Warning(Line("initdead"), $"Initial dead time [{Ms(initdead)} ms] may be too small!", "after a reboot the network may take longer than this to come up, and the peer would be declared dead at start");
        }

        if (b.Deadping is { } deadping && deadping <= keepalive * 2)
        {
            diagnostics.Error(Line("deadping"), $"Ping dead time [{Ms(deadping)}] is too small compared to keepalive [{Ms(keepalive)}]");
        }

        if (b.Warntime is { } warntime && warntime >= deadtime)
        {
            diagnostics.Warning(Line("warntime"), $"warntime [{Ms(warntime)}] is not below deadtime [{Ms(deadtime)}]", "a late heartbeat is then never reported before the node is declared dead");
        }

        if (b.AutoJoin != AutoJoin.None && !b.CrmEnabled)
        {
            diagnostics.Error(Line("autojoin"), "R1 style resource management conflicts with autojoin set", "haresources mode needs 'autojoin none'");
        }

        if (!b.LoggingConfigured && b.UseLogd is null)
        {
            diagnostics.Note(0, "No log entry found in ha.cf -- use logd", "3.0.6 then switches use_logd on; HeartbeatNet logs to the systemd journal (or stderr) either way");
        }

        if (b.AutoFailback is null or AutoFailback.Legacy)
        {
            diagnostics.Warning(Line("auto_failback"), "Deprecated 'legacy' auto_failback option selected" + (b.AutoFailback is null ? " (it is the default when auto_failback is not set)" : string.Empty), "Please convert to 'auto_failback on' or 'auto_failback off'; every node of the cluster needs the same setting");
        }
    }

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;

    private static int Levenshtein(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            row[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}
