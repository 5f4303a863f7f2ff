using System.Text;

namespace Heartbeat.Protocol.Export;

/// <summary>
/// Writes the Pacemaker half as a shell script of pcs (0.11) commands: they edit a copy of the live CIB
/// (<c>pcs -f</c>) and push it once at the end, so a half-run script changes nothing.
/// </summary>
public static class PcsWriter
{
    public static string Write(PacemakerConfig config)
    {
        var s = new StringBuilder();
        s.Append("#!/bin/sh\n");
        Comments(s, config.Header);
        Comments(s, ["Run on one node of a running, empty cluster (pcs cluster setup … with the exported corosync.conf's nodes; pcs cluster start --all)."]);
        s.Append("set -e\ncib=$(mktemp)\ntrap 'rm -f \"$cib\"' EXIT\npcs cluster cib \"$cib\"\n\n");
        foreach (var property in config.Properties)
        {
            Comments(s, property.Comment);
            Line(s, "property set", $"{property.Name}={Quote(property.Value)}");
        }

        foreach (var value in config.ResourceDefaults)
        {
            Comments(s, value.Comment);
            Line(s, "resource defaults update", $"{value.Name}={Quote(value.Value)}");
        }

        foreach (var device in config.FenceDevices)
        {
            Comments(s, device.Comments);
            Line(s, "stonith create", $"{device.Id} {device.Type}{Parameters(device)}{Operations(device)}");
        }

        foreach (var clone in config.Clones)
        {
            Comments(s, clone.Primitive.Comments);
            Comments(s, clone.Comments);
            var p = clone.Primitive;
            string meta = string.Concat(clone.Meta.Select(m => $" {m.Name}={Quote(m.Value)}"));

            // pcs names the clone PRIMITIVE-clone, as the exported id does.
            Line(s, "resource create", $"{p.Id} {p.Agent}{Parameters(p)}{Operations(p)} {(clone.Promotable ? "promotable" : "clone")}{meta}");
        }

        foreach (var group in config.Groups)
        {
            Comments(s, group.Comments);
            foreach (var member in group.Members)
            {
                Comments(s, member.Comments);
                Line(s, "resource create", $"{member.Id} {member.Agent}{Parameters(member)}{Operations(member)} --group {group.Id}");
            }
        }

        foreach (var constraint in config.Constraints)
        {
            Comments(s, constraint.Comments);
            Line(s, "constraint", constraint switch
            {
                LocationPreference l => $"location add {l.Id} {l.Resource} {l.Node} {l.Score}",
                LocationRule r => $"location {r.Resource} rule id={r.Id}-rule constraint-id={r.Id}{(r.Role is null ? string.Empty : " role=" + r.Role)} score={r.Score} {Rule(r)}",
                Colocation c => $"colocation add {c.Resource} with {(c.WithRole is null ? string.Empty : c.WithRole + " ")}{c.WithResource} {c.Score} id={c.Id}",
                Ordering o => $"order {o.FirstAction} {o.First} then {o.ThenAction} {o.Then} id={o.Id}",
                _ => throw new ArgumentOutOfRangeException(nameof(config)),
            });
        }

        s.Append("\npcs cluster cib-push \"$cib\" --config\n");
        return s.ToString();
    }

    private static string Rule(LocationRule rule) =>
        string.Join(rule.AnyOf ? " or " : " and ", rule.Tests.Select(t => t.Operation is "defined" or "not_defined"
            ? $"{t.Operation} {Quote(t.Attribute)}"
            : $"{Quote(t.Attribute)} {t.Operation} {Quote(t.Value!)}"));

    private static void Line(StringBuilder s, string command, string arguments) => s.Append("pcs -f \"$cib\" ").Append(command).Append(' ').Append(arguments).Append('\n');

    private static string Parameters(PrimitiveResource p) => string.Concat(p.Parameters.Select(v => $" {v.Name}={Quote(v.Value)}"));

    private static string Operations(PrimitiveResource p) =>
        p.Monitors.IsEmpty ? string.Empty : " op" + string.Concat(p.Monitors.Select(m => $" monitor interval={m.Interval}{(m.Role is null ? string.Empty : " role=" + m.Role)}"));

    /// <summary>A word the shell passes unchanged: as is when it is plain, else in single quotes.</summary>
    internal static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/' or ':' or '=' or ',' or '@')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    internal static void Comments(StringBuilder s, IEnumerable<string> comments)
    {
        foreach (string comment in comments)
        {
            s.Append("# ").Append(comment).Append('\n');
        }
    }

    private static void Comments(StringBuilder s, string? comment)
    {
        if (comment is not null)
        {
            Comments(s, [comment]);
        }
    }
}
