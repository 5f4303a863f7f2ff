using System.Globalization;
using System.Text;
using System.Xml;

namespace Heartbeat.Protocol.Export;

/// <summary>
/// Writes the Pacemaker half as a CIB, checked by <c>crm_verify --xml-file</c> and loadable with <c>cibadmin --replace
/// --xml-file</c> on a new cluster (it replaces the whole configuration). Schema pacemaker-3.0, the first of
/// Pacemaker 2.0, so every Pacemaker 2 loads it (newer ones upgrade it on load).
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
            // admin_epoch 1: the cluster never changes admin_epoch, and a new cluster's CIB has 0, so cibadmin --replace
            // takes this one over it (with 0 it refuses: "Update was older than existing configuration").
            Attributes(xml, ("validate-with", Schema), ("admin_epoch", "1"), ("epoch", "1"), ("num_updates", "0"));
            xml.WriteStartElement("configuration");

            xml.WriteStartElement("crm_config");
            NameValues(xml, "cluster_property_set", "cib-bootstrap-options", config.Properties);
            xml.WriteEndElement();

            xml.WriteStartElement("nodes");
            foreach (var node in config.Nodes)
            {
                Element(xml, "node", ("id", node.Id.ToString(CultureInfo.InvariantCulture)), ("uname", node.Name));
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
        Attributes(xml, ("id", primitive.Id), ("class", primitive.Class), ("provider", primitive.Provider), ("type", primitive.Type));
        if (!primitive.Parameters.IsEmpty)
        {
            NameValues(xml, "instance_attributes", primitive.Id + "-instance_attributes", primitive.Parameters);
        }

        if (!primitive.Monitors.IsEmpty)
        {
            xml.WriteStartElement("operations");
            foreach (var monitor in primitive.Monitors)
            {
                Element(xml, "op", ("id", $"{primitive.Id}-monitor-{monitor.Interval}"), ("name", "monitor"), ("interval", monitor.Interval), ("role", monitor.Role is null ? null : Role(monitor.Role)));
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
                Element(xml, "rsc_location", ("id", l.Id), ("rsc", l.Resource), ("node", l.Node), ("score", l.Score));
                break;
            case LocationRule r:
                xml.WriteStartElement("rsc_location");
                Attributes(xml, ("id", r.Id), ("rsc", r.Resource));
                xml.WriteStartElement("rule");
                Attributes(xml, ("id", r.Id + "-rule"), ("role", r.Role is null ? null : Role(r.Role)), ("score", r.Score), ("boolean-op", r.Tests.Length > 1 ? (r.AnyOf ? "or" : "and") : null));
                for (int i = 0; i < r.Tests.Length; i++)
                {
                    var test = r.Tests[i];
                    string? type = test.Value is null ? null : int.TryParse(test.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? "number" : "string";
                    Element(xml, "expression", ("id", $"{r.Id}-rule-expression-{i}"), ("attribute", test.Attribute), ("operation", test.Operation), ("value", test.Value), ("type", type));
                }

                xml.WriteEndElement();
                xml.WriteEndElement();
                break;
            case Colocation c:
                Element(xml, "rsc_colocation", ("id", c.Id), ("rsc", c.Resource), ("with-rsc", c.WithResource), ("with-rsc-role", c.WithRole is null ? null : Role(c.WithRole)), ("score", c.Score));
                break;
            case Ordering o:
                Element(xml, "rsc_order", ("id", o.Id), ("first", o.First), ("first-action", o.FirstAction), ("then", o.Then), ("then-action", o.ThenAction), ("kind", "Mandatory"));
                break;
        }
    }

    /// <summary>An element with no children and the attributes that have a value.</summary>
    private static void Element(XmlWriter xml, string name, params (string Name, string? Value)[] attributes)
    {
        xml.WriteStartElement(name);
        Attributes(xml, attributes);
        xml.WriteEndElement();
    }

    private static void Attributes(XmlWriter xml, params (string Name, string? Value)[] attributes)
    {
        foreach (var (name, value) in attributes)
        {
            if (value is not null)
            {
                xml.WriteAttributeString(name, value);
            }
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

            Element(xml, "nvpair", ("id", $"{id}-{value.Name}"), ("name", value.Name), ("value", value.Value));
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
