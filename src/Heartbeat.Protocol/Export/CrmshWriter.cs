using System.Text;

namespace Heartbeat.Protocol.Export;

/// <summary>Writes the Pacemaker half as a crmsh (4.4 and later) script, for <c>crm configure load update FILE</c>.</summary>
public static class CrmshWriter
{
    public static string Write(PacemakerConfig config)
    {
        var s = new StringBuilder();
        PcsWriter.Comments(s, config.Header);
        PcsWriter.Comments(s, ["Load it on one node of the running cluster: crm configure load update FILE"]);
        foreach (var node in config.Nodes)
        {
            s.Append($"node {node.Id}: {node.Name}\n");
        }

        foreach (var property in config.Properties)
        {
            PcsWriter.Comments(s, Optional(property.Comment));
            s.Append($"property cib-bootstrap-options: {property.Name}={Quote(property.Value)}\n");
        }

        foreach (var value in config.ResourceDefaults)
        {
            PcsWriter.Comments(s, Optional(value.Comment));
            s.Append($"rsc_defaults rsc-options: {value.Name}={Quote(value.Value)}\n");
        }

        foreach (var device in config.FenceDevices)
        {
            Primitive(s, device);
        }

        foreach (var clone in config.Clones)
        {
            Primitive(s, clone.Primitive);
            PcsWriter.Comments(s, clone.Comments);
            var meta = clone.Promotable ? [new NameValue("promotable", "true"), .. clone.Meta] : clone.Meta;
            s.Append($"clone {clone.Id} {clone.Primitive.Id}{(meta.IsEmpty ? string.Empty : " meta" + string.Concat(meta.Select(m => $" {m.Name}={Quote(m.Value)}")))}\n");
        }

        foreach (var group in config.Groups)
        {
            foreach (var member in group.Members)
            {
                Primitive(s, member);
            }

            PcsWriter.Comments(s, group.Comments);
            s.Append($"group {group.Id} {string.Join(' ', group.Members.Select(m => m.Id))}\n");
        }

        foreach (var constraint in config.Constraints)
        {
            PcsWriter.Comments(s, constraint.Comments);
            s.Append(constraint switch
            {
                LocationPreference l => $"location {l.Id} {l.Resource} {Score(l.Score)}: {l.Node}",
                LocationRule r => $"location {r.Id} {r.Resource} rule {(r.Role is null ? string.Empty : $"$role={r.Role} ")}{Score(r.Score)}: {string.Join(r.AnyOf ? " or " : " and ", r.Tests.Select(t => t.Value is null ? $"{t.Operation} {t.Attribute}" : $"{t.Attribute} {t.Operation} {t.Value}"))}",
                Colocation c => $"colocation {c.Id} {Score(c.Score)}: {c.Resource} {c.WithResource}{(c.WithRole is null ? string.Empty : ":" + c.WithRole)}",
                Ordering o => $"order {o.Id} Mandatory: {o.First}:{o.FirstAction} {o.Then}:{o.ThenAction}",
                _ => throw new ArgumentOutOfRangeException(nameof(config)),
            }).Append('\n');
        }

        return s.ToString();
    }

    private static void Primitive(StringBuilder s, PrimitiveResource p)
    {
        PcsWriter.Comments(s, p.Comments);
        s.Append($"primitive {p.Id} {p.Agent}");
        if (!p.Parameters.IsEmpty)
        {
            s.Append(" params").Append(string.Concat(p.Parameters.Select(v => $" {v.Name}={Quote(v.Value)}")));
        }

        foreach (var monitor in p.Monitors)
        {
            s.Append($" op monitor interval={monitor.Interval}{(monitor.Role is null ? string.Empty : " role=" + monitor.Role)}");
        }

        s.Append('\n');
    }

    /// <summary>crmsh writes the infinite scores as inf and -inf.</summary>
    private static string Score(string score) => score switch
    {
        "INFINITY" => "inf",
        "-INFINITY" => "-inf",
        _ => score,
    };

    private static IEnumerable<string> Optional(string? comment) => comment is null ? [] : [comment];

    /// <summary>crmsh splits values like a shell: double quotes around anything but a plain word.</summary>
    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/' or ':' or ',' or '@')
            ? value
            : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
