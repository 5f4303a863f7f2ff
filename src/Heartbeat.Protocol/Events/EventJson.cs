using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Heartbeat.Protocol.Events;

/// <summary>
/// One event as one line of JSON (<c>hbctl events --json</c>): <c>seq</c>, <c>time</c> (UTC, ISO 8601), <c>event</c>
/// (the HB_EVENT name), <c>level</c>, <c>node</c> (this node), <c>message</c> (the log line), then the entry's named
/// values under their journald names lower-cased (<c>peer</c>, <c>group</c>, <c>reason</c>, …). Written by hand with
/// <see cref="Utf8JsonWriter"/> (NativeAOT: no reflection).
/// </summary>
public static class EventJson
{
    private static readonly HashSet<string> Fixed = new(StringComparer.Ordinal) { "seq", "time", "event", "level", "node", "message", "missed" };

    public static byte[] Line(NodeEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("seq", e.Seq);
            json.WriteString("time", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("event", e.Name);
            json.WriteString("level", e.Level);
            json.WriteString("node", e.Node);
            json.WriteString("message", e.Message);
            foreach (var (key, value) in e.Fields)
            {
                if (!Fixed.Contains(key))
                {
                    json.WriteString(key, value);
                }
            }

            json.WriteEndObject();
        }

        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    /// <summary>The line a follower gets in place of <paramref name="missed"/> events it fell too far behind to receive.</summary>
    public static byte[] Gap(long missed)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", EventNames.Gap);
            json.WriteNumber("missed", missed);
            json.WriteEndObject();
        }

        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    /// <summary>A line in the human format (hbctl events without --json): time, event, message; null if the line is not an event.</summary>
    public static string? Human(ReadOnlySpan<byte> line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var root = doc.RootElement;
            string name = root.TryGetProperty("event", out var ev) ? ev.GetString() ?? "?" : "?";
            if (name == EventNames.Gap)
            {
                long missed = root.TryGetProperty("missed", out var m) ? m.GetInt64() : 0;
                return string.Create(CultureInfo.InvariantCulture, $"-- {missed} events missed (this reader fell behind) --");
            }

            string time = root.TryGetProperty("time", out var t) ? t.GetString() ?? string.Empty : string.Empty;
            string message = root.TryGetProperty("message", out var msg) ? msg.GetString() ?? string.Empty : string.Empty;
            return $"{time} {name,-24} {message}";
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
