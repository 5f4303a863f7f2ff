namespace Heartbeat.Protocol.Config;

/// <summary>
/// What 3.0.6 exports to resource scripts from ha.cf: every directive as <c>HA_&lt;directive&gt;=&lt;value as written&gt;</c>
/// (<c>HA_keepalive=2</c>, <c>HA_deadtime=10</c>, …); a repeated directive exports its last value, as setenv does.
/// </summary>
public static class ScriptEnvironment
{
    public static IReadOnlyDictionary<string, string> FromHaCf(ReadOnlySpan<byte> haCf)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in ConfigLines.Split(haCf))
        {
            string text = ConfigLines.StripComment(line.Text).Trim();
            if (text.Length == 0)
            {
                continue;
            }

            int gap = text.IndexOfAny([' ', '\t']);
            string name = gap < 0 ? text : text[..gap];
            string value = gap < 0 ? string.Empty : text[gap..].Trim();
            if (name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                variables["HA_" + name] = value;
            }
        }

        return variables;
    }
}
