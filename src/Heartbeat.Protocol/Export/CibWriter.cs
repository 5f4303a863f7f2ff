using System.Text;
using System.Xml;

namespace Heartbeat.Protocol.Export;

/// <summary>
/// Writes the Pacemaker half as a CIB: loadable with <c>cibadmin --replace --xml-file</c> on a new cluster and
/// checked by <c>crm_verify --xml-file</c>. Schema pacemaker-3.0, the first of Pacemaker 2.0, so every Pacemaker 2
/// loads it (newer ones upgrade it on load).
/// </summary>
public static class CibWriter
{
    public const string Schema = "pacemaker-3.0";

    public static string Write(PacemakerConfig config)
    {
        var text = new StringBuilder();
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", OmitXmlDeclaration = true, NewLineChars = "\n" };
        using (var xml = XmlWriter.Create(text, settings))
        {
            Comments(xml, config.Header);
            xml.WriteStartElement("cib");
            xml.WriteAttributeString("validate-with", Schema);
            xml.WriteAttributeString("admin_epoch", "0");
            xml.WriteAttributeString("epoch", "1");
            xml.WriteAttributeString("num_updates", "0");
            xml.WriteStartElement("configuration");

            xml.WriteStartElement("crm_config");
            NameValues(xml, "cluster_property_set", "cib-bootstrap-options", config.Properties);
            xml.WriteEndElement();

            xml.WriteStartElement("nodes");
            foreach (var node in config.Nodes)
            {
                xml.WriteStartElement("node");
                xml.WriteAttributeString("id", node.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                xml.WriteAttributeString("uname", node.Name);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();

            xml.WriteStartElement("resources");
            foreach (var device in config.FenceDevices)
            {
                Primitive(xml, device);
            }

            foreach (var clone in config.Clones)
            {
                Comments(xml, clone.Comments);
                xml.WriteStartElement("clone");
                xml.WriteAttributeString("id", clone.Id);
                var meta = clone.Promotable ? [new NameValue("promotable", "true"), .. clone.Meta] : clone.Meta;
                if (!meta.IsEmpty)
                {
                    NameValues(xml, "meta_attributes", clone.Id + "-meta_attributes", meta);
                }

                Primitive(xml, clone.Primitive);
                xml.WriteEndElement();
            }

            foreach (var group in config.Groups)
            {
                Comments(xml, group.Comments);
                xml.WriteStartElement("group");
                xml.WriteAttributeString("id", group.Id);
                foreach (var member in group.Members)
                {
                    Primitive(xml, member);
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();

            xml.WriteStartElement("constraints");
            foreach (var constraint in config.Constraints)
            {
                Constraint(xml, constraint);
            }

            xml.WriteEndElement();

            xml.WriteStartElement("rsc_defaults");
            NameValues(xml, "meta_attributes", "rsc-options", config.ResourceDefaults);
            xml.WriteEndElement();

            xml.WriteEndElement(); // configuration
            xml.WriteElementString("status", string.Empty);
            xml.WriteEndElement(); // cib
        }

        return text.Append('\n').ToString();
    }

    /// <summary>The pacemaker-3.0 role names (Promoted/Unpromoted arrived with pacemaker-3.7).</summary>
    private static string Role(string role) => role switch
    {
        "Promoted" => "Master",
        "Unpromoted" => "Slave",
        _ => role,
    };

    private static void Primitive(XmlWriter xml, PrimitiveResource primitive)
    {
        Comments(xml, primitive.Comments);
        xml.WriteStartElement("primitive");
        xml.WriteAttributeString("id", primitive.Id);
        xml.WriteAttributeString("class", primitive.Class);
        if (primitive.Provider is not null)
        {
            xml.WriteAttributeString("provider", primitive.Provider);
        }

        xml.WriteAttributeString("type", primitive.Type);
        if (!primitive.Parameters.IsEmpty)
        {
            NameValues(xml, "instance_attributes", primitive.Id + "-instance_attributes", primitive.Parameters);
        }

        if (!primitive.Monitors.IsEmpty)
        {
            xml.WriteStartElement("operations");
            foreach (var monitor in primitive.Monitors)
            {
                xml.WriteStartElement("op");
                xml.WriteAttributeString("id", $"{primitive.Id}-monitor-{monitor.Interval}");
                xml.WriteAttributeString("name", "monitor");
                xml.WriteAttributeString("interval", monitor.Interval);
                if (monitor.Role is not null)
                {
                    xml.WriteAttributeString("role", Role(monitor.Role));
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }

    private static void Constraint(XmlWriter xml, Constraint constraint)
    {
        Comments(xml, constraint.Comments);
        switch (constraint)
        {
            case LocationPreference l:
                xml.WriteStartElement("rsc_location");
                xml.WriteAttributeString("id", l.Id);
                xml.WriteAttributeString("rsc", l.Resource);
                xml.WriteAttributeString("node", l.Node);
                xml.WriteAttributeString("score", l.Score);
                xml.WriteEndElement();
                break;
            case LocationRule r:
                xml.WriteStartElement("rsc_location");
                xml.WriteAttributeString("id", r.Id);
                xml.WriteAttributeString("rsc", r.Resource);
                xml.WriteStartElement("rule");
                xml.WriteAttributeString("id", r.Id + "-rule");
                if (r.Role is not null)
                {
                    xml.WriteAttributeString("role", Role(r.Role));
                }

                xml.WriteAttributeString("score", r.Score);
                if (r.Tests.Length > 1)
                {
                    xml.WriteAttributeString("boolean-op", r.AnyOf ? "or" : "and");
                }

                for (int i = 0; i < r.Tests.Length; i++)
                {
                    xml.WriteStartElement("expression");
                    xml.WriteAttributeString("id", $"{r.Id}-rule-expression-{i}");
                    xml.WriteAttributeString("attribute", r.Tests[i].Attribute);
                    xml.WriteAttributeString("operation", r.Tests[i].Operation);
                    if (r.Tests[i].Value is { } value)
                    {
                        xml.WriteAttributeString("value", value);
                        xml.WriteAttributeString("type", int.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _) ? "number" : "string");
                    }

                    xml.WriteEndElement();
                }

                xml.WriteEndElement();
                xml.WriteEndElement();
                break;
            case Colocation c:
                xml.WriteStartElement("rsc_colocation");
                xml.WriteAttributeString("id", c.Id);
                xml.WriteAttributeString("rsc", c.Resource);
                xml.WriteAttributeString("with-rsc", c.WithResource);
                if (c.WithRole is not null)
                {
                    xml.WriteAttributeString("with-rsc-role", Role(c.WithRole));
                }

                xml.WriteAttributeString("score", c.Score);
                xml.WriteEndElement();
                break;
            case Ordering o:
                xml.WriteStartElement("rsc_order");
                xml.WriteAttributeString("id", o.Id);
                xml.WriteAttributeString("first", o.First);
                xml.WriteAttributeString("first-action", o.FirstAction);
                xml.WriteAttributeString("then", o.Then);
                xml.WriteAttributeString("then-action", o.ThenAction);
                xml.WriteAttributeString("kind", "Mandatory");
                xml.WriteEndElement();
                break;
        }
    }

    private static void NameValues(XmlWriter xml, string element, string id, IEnumerable<NameValue> values)
    {
        xml.WriteStartElement(element);
        xml.WriteAttributeString("id", id);
        foreach (var value in values)
        {
            if (value.Comment is not null)
            {
                Comments(xml, [value.Comment]);
            }

            xml.WriteStartElement("nvpair");
            xml.WriteAttributeString("id", $"{id}-{value.Name}");
            xml.WriteAttributeString("name", value.Name);
            xml.WriteAttributeString("value", value.Value);
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }

    private static void Comments(XmlWriter xml, IEnumerable<string> comments)
    {
        foreach (string comment in comments)
        {
            // An XML comment may not contain "--" nor end with '-'.
            xml.WriteComment(" " + comment.Replace("--", "- -", StringComparison.Ordinal) + " ");
        }
    }
}
