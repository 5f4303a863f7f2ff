using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Parsing;

namespace Heartbeat.Daemon.Logging;

/// <summary>What every sink reads from a Serilog event that came through Microsoft.Extensions.Logging.</summary>
internal static class LogText
{
    /// <summary>Properties that describe the event rather than its content (not repeated as HB_ fields).</summary>
    public static bool IsEnvelope(string name) => name is "SourceContext" or "EventId";

    /// <summary>
    /// The message with values written as they are: Serilog's default rendering puts strings in quotes (node
    /// "server1"), and our messages keep 3.0.6's wording, which scripts and people grep for.
    /// </summary>
    public static string Message(LogEvent e)
    {
        var text = new StringBuilder();
        using var writer = new StringWriter(text, CultureInfo.InvariantCulture);
        foreach (var token in e.MessageTemplate.Tokens)
        {
            switch (token)
            {
                case TextToken literal:
                    text.Append(literal.Text);
                    break;
                case PropertyToken property when e.Properties.TryGetValue(property.PropertyName, out var value):
                    Write(writer, value, property.Format);
                    break;
                case PropertyToken missing:
                    text.Append(missing.ToString());
                    break;
            }
        }

        writer.Flush();
        if (e.Exception is not null)
        {
            text.Append('\n').Append(e.Exception);
        }

        return text.ToString();
    }

    /// <summary>A property's value as plain text: strings unquoted, numbers and dates invariant.</summary>
    public static string Value(LogEventPropertyValue value)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(writer, value, null);
        return writer.ToString();
    }

    private static void Write(TextWriter writer, LogEventPropertyValue value, string? format)
    {
        if (value is ScalarValue { Value: string s })
        {
            writer.Write(s);
        }
        else if (value is ScalarValue { Value: IFormattable formattable })
        {
            writer.Write(formattable.ToString(format, CultureInfo.InvariantCulture));
        }
        else
        {
            value.Render(writer, format, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The logger's category (the class that logged).</summary>
    public static string Category(LogEvent e) =>
        e.Properties.TryGetValue("SourceContext", out var v) && v is ScalarValue { Value: string s } ? s : "heartbeat";

    /// <summary>The [LoggerMessage] event id and name, when the event has one.</summary>
    public static (int Id, string? Name) EventId(LogEvent e)
    {
        if (!e.Properties.TryGetValue("EventId", out var v) || v is not StructureValue structure)
        {
            return (0, null);
        }

        int id = 0;
        string? name = null;
        foreach (var property in structure.Properties)
        {
            if (property is { Name: "Id", Value: ScalarValue { Value: int number } })
            {
                id = number;
            }
            else if (property is { Name: "Name", Value: ScalarValue { Value: string text } })
            {
                name = text;
            }
        }

        return (id, name);
    }
}
