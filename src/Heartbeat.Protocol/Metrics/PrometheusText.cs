using System.Globalization;
using System.Text;

namespace Heartbeat.Protocol.Metrics;

/// <summary>
/// The Prometheus text exposition format 0.0.4 (what <c>promtool check metrics</c> and every scraper read): one
/// <c># HELP</c> and one <c># TYPE</c> line per family, then <c>name{label="value",…} number</c> lines. Escaping as the
/// format defines it: in label values backslash, double quote and line feed; in HELP text backslash and line feed.
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>A metric or label name as the format allows it: <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c> (labels: no colon).</summary>
    public static bool IsValidName(string name, bool label = false)
    {
        if (name.Length == 0)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' || (!label && c == ':') || (i > 0 && c is >= '0' and <= '9');
            if (!ok)
            {
                return false;
            }
        }

        return !label || !name.StartsWith("__", StringComparison.Ordinal);
    }

    /// <summary>A label value: backslash, double quote and line feed escaped.</summary>
    public static void AppendLabelValue(StringBuilder text, string value) => AppendEscaped(text, value, quotes: true);

    /// <summary>A HELP text: backslash and line feed escaped (the format leaves double quotes as they are there).</summary>
    public static void AppendHelp(StringBuilder text, string help) => AppendEscaped(text, help, quotes: false);

    private static void AppendEscaped(StringBuilder text, string value, bool quotes)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\':
                    text.Append(@"\\");
                    break;
                case '"' when quotes:
                    text.Append("\\\"");
                    break;
                case '\n':
                    text.Append(@"\n");
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
    }

    /// <summary><c>{a="x",b="y"}</c>, or nothing without labels; names are checked, values escaped.</summary>
    public static string Labels(ReadOnlySpan<(string Name, string Value)> labels)
    {
        if (labels.IsEmpty)
        {
            return string.Empty;
        }

        var text = new StringBuilder("{");
        for (int i = 0; i < labels.Length; i++)
        {
            if (!IsValidName(labels[i].Name, label: true))
            {
                throw new ArgumentException($"'{labels[i].Name}' is not a valid label name", nameof(labels));
            }

            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(labels[i].Name).Append("=\"");
            AppendLabelValue(text, labels[i].Value);
            text.Append('"');
        }

        return text.Append('}').ToString();
    }

    /// <summary>A sample value: integers without a fraction, NaN and infinities as the format spells them.</summary>
    public static void AppendValue(StringBuilder text, double value)
    {
        if (double.IsNaN(value))
        {
            text.Append("NaN");
        }
        else if (double.IsPositiveInfinity(value))
        {
            text.Append("+Inf");
        }
        else if (double.IsNegativeInfinity(value))
        {
            text.Append("-Inf");
        }
        else if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            text.Append(((long)value).ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            text.Append(value.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>An enum member's name as a label value: "PeerDead" → "peer_dead".</summary>
    public static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }

    public static string TypeName(MetricKind kind) => kind switch
    {
        MetricKind.Counter => "counter",
        MetricKind.Gauge => "gauge",
        _ => "histogram",
    };
}

public enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}
