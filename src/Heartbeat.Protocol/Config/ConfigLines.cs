using System.Text;

namespace Heartbeat.Protocol.Config;

/// <summary>A physical line of a config file: its 1-based number and text without the line ending.</summary>
public readonly record struct ConfigLine(int Number, string Text);

/// <summary>Splits file bytes into lines the way 3.0.6's readers see them: LF ends a line, CR is stripped (CRLF files work).</summary>
internal static class ConfigLines
{
    public static List<ConfigLine> Split(ReadOnlySpan<byte> content)
    {
        // Config files are read as bytes; Latin-1 keeps every byte, so odd encodings still give exact diagnostics.
        string text = Encoding.Latin1.GetString(content);
        var lines = new List<ConfigLine>();
        int number = 0;
        foreach (var range in text.AsSpan().Split('\n'))
        {
            number++;
            string line = text[range].Replace("\r", string.Empty, StringComparison.Ordinal);
            lines.Add(new ConfigLine(number, line));
        }

        if (lines.Count > 0 && lines[^1].Text.Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>Everything before the first '#': in ha.cf and haresources '#' starts a comment anywhere, with no escaping.</summary>
    public static string StripComment(string line)
    {
        int hash = line.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? line : line[..hash];
    }
}
