using System.Collections.Frozen;
using System.Text;

namespace Heartbeat.Protocol.Config;

/// <summary>
/// What a reload would change, from the files as they were loaded and as they are now. 3.0.6 restarts itself on any
/// ha.cf change (its resources move meanwhile); here the timers (the directives <see cref="HaCfDirectives"/> marks
/// live: keepalive, deadtime, warntime, initdead) and the keys are applied in place, and a change that cannot be
/// applied without moving resources or re-forming the cluster (media, nodes, haresources, auto_failback, …) is
/// refused with its name, the running configuration kept.
/// </summary>
public sealed record ReloadPlan(IReadOnlyList<string> Changes, IReadOnlyList<string> NeedRestart)
{
    /// <summary>Directives applied while running: the rows of the directive table marked <see cref="Directive.Live"/>.</summary>
    public static readonly IReadOnlySet<string> LiveDirectives = HaCfDirectives.All.Where(d => d.Live).Select(d => d.Name).ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public bool NothingChanged => Changes.Count == 0;

    public bool CanApply => NeedRestart.Count == 0;

    public static ReloadPlan Compare(ConfigFiles running, ConfigFiles next)
    {
        var changes = new List<string>();
        var needRestart = new List<string>();
        var before = Directives(running.HaCf);
        var after = Directives(next.HaCf);
        foreach (string directive in before.Keys.Union(after.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
        {
            var old = before.GetValueOrDefault(directive) ?? [];
            var now = after.GetValueOrDefault(directive) ?? [];
            if (old.SequenceEqual(now, StringComparer.Ordinal))
            {
                continue;
            }

            string change = $"ha.cf {directive}: {Show(old)} → {Show(now)}";
            changes.Add(change);
            if (!LiveDirectives.Contains(directive))
            {
                needRestart.Add(change);
            }
        }

        if (!Normalized(running.AuthKeys).SequenceEqual(Normalized(next.AuthKeys), StringComparer.Ordinal))
        {
            changes.Add("authkeys: keys changed");
        }

        if (!Normalized(running.HaResources).SequenceEqual(Normalized(next.HaResources), StringComparer.Ordinal))
        {
            string change = "haresources: resource groups changed";
            changes.Add(change);
            needRestart.Add(change);
        }

        return new ReloadPlan(changes, needRestart);
    }

    private static string Show(List<string> values) => values.Count == 0 ? "(unset)" : string.Join(" | ", values);

    /// <summary>Each directive's values in file order, whitespace collapsed, comments and blank lines dropped.</summary>
    private static Dictionary<string, List<string>> Directives(byte[]? file)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in Normalized(file))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            string name = space < 0 ? line : line[..space];
            string value = space < 0 ? string.Empty : line[(space + 1)..];
            if (!result.TryGetValue(name, out var values))
            {
                result[name] = values = [];
            }

            values.Add(value);
        }

        return result;
    }

    private static List<string> Normalized(byte[]? file)
    {
        if (file is null)
        {
            return [];
        }

        var lines = new List<string>();
        foreach (string raw in Encoding.Latin1.GetString(file).Split('\n'))
        {
            int hash = raw.IndexOf('#', StringComparison.Ordinal);
            string text = string.Join(' ', (hash < 0 ? raw : raw[..hash]).Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries));
            if (text.Length > 0)
            {
                lines.Add(text);
            }
        }

        return lines;
    }
}
