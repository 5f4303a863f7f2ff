using System.Globalization;
using System.Text.RegularExpressions;

namespace Heartbeat.Protocol.Config;

/// <summary>
/// Time values of ha.cf (keepalive, deadtime, …) as 3.0.6's <c>cl_get_msec</c> reads them: decimal seconds
/// (<c>2</c>, <c>1.25</c>), or a number immediately followed by <c>ms</c> or <c>us</c>; rounded to whole milliseconds.
/// </summary>
public static partial class TimeValue
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var match = Pattern().Match(text);
        if (!match.Success || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal number))
        {
            return false;
        }

        // Anything above int.MaxValue seconds is refused below anyway; checked first so that ×1000 cannot overflow a
        // decimal (found by fuzzing: a 29-digit keepalive threw instead of being refused).
        if (number > int.MaxValue)
        {
            return false;
        }

        decimal milliseconds = match.Groups["unit"].Value switch
        {
            "ms" => number,
            "us" => number / 1000m,
            _ => number * 1000m,
        };
        if (milliseconds > int.MaxValue)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds((long)Math.Round(milliseconds, MidpointRounding.AwayFromZero));
        return true;
    }

    /// <summary>The form 3.0.6 prints computed values in, e.g. <c>1500ms</c>.</summary>
    public static string Format(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{(long)value.TotalMilliseconds}ms");

    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?<unit>ms|us)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
