using System.Globalization;
using Heartbeat.Protocol.Compression;

namespace Heartbeat.Protocol.Config;

/// <summary>What a directive means for a haresources (crm off) cluster run by HeartbeatNet.</summary>
public enum DirectiveSupport
{
    /// <summary>Used by v1 mode and implemented.</summary>
    Implemented,

    /// <summary>Accepted like 3.0.6, but it has no effect in v1 mode on 3.0.6 either.</summary>
    NoEffect,

    /// <summary>3.0.6 acts on it, HeartbeatNet does not: accepted with a warning (listed in the README's differences).</summary>
    Ignored,

    /// <summary>Only meaningful with Pacemaker: accepted with a warning.</summary>
    PacemakerOnly,

    /// <summary>Obsolete in 3.0.6: accepted with 3.0.6's warning.</summary>
    Obsolete,
}

/// <summary>
/// One row of the ha.cf directive table: the single source of truth for parsing, defaults and the generated docs.
/// </summary>
/// <param name="Name">The directive, case-sensitive as in 3.0.6.</param>
/// <param name="Support">What it does here.</param>
/// <param name="WholeLine">True when the rest of the line is one value (media, stonith, respawn…); otherwise it is split on blanks and commas and applied once per word.</param>
/// <param name="Arguments">Argument syntax for docs and messages.</param>
/// <param name="Default">The default as 3.0.6 documents it.</param>
/// <param name="Description">One line for docs.</param>
/// <param name="Apply">Validates one value and stores it in the builder, reporting problems to the context.</param>
/// <param name="OnceOnly">3.0.6 refuses a second occurrence (baud, watchdog, crm/pacemaker).</param>
/// <param name="Live">
/// A reload applies a change of it in place (<see cref="ReloadPlan"/>): the timers. A change of any other directive
/// needs a restart, since it would move resources or re-form the cluster.
/// </param>
public sealed record Directive(
    string Name,
    DirectiveSupport Support,
    bool WholeLine,
    string Arguments,
    string Default,
    string Description,
    Action<HaCfBuilder, DirectiveContext, string> Apply,
    bool OnceOnly = false,
    bool Live = false);

/// <summary>Where a value came from and helpers that turn bad values into diagnostics naming the directive.</summary>
public sealed class DirectiveContext(DiagnosticBag diagnostics, int line, string name)
{
    public DiagnosticBag Diagnostics { get; } = diagnostics;

    public int Line { get; } = line;

    public string Name { get; } = name;

    public void Error(string message, string? hint = null) => Diagnostics.Error(Line, message, hint);

    public void Warning(string message, string? hint = null) => Diagnostics.Warning(Line, message, hint);

    public void Note(string message, string? hint = null) => Diagnostics.Note(Line, message, hint);

    public bool TryTime(string value, out TimeSpan result)
    {
        if (TimeValue.TryParse(value, out result))
        {
            return true;
        }

        Error($"{Name}: '{value}' is not a time", "write seconds (2, 1.5) or a number directly followed by ms or us (500ms); '2s', '500 ms' and negative values are invalid in 3.0.6 too");
        return false;
    }

    public bool TryBoolean(string value, out bool result)
    {
        // cl_str_to_boolean: case-insensitive true/on/yes/y/1 and false/off/no/n/0.
        switch (value.ToLowerInvariant())
        {
            case "true" or "on" or "yes" or "y" or "1":
                result = true;
                return true;
            case "false" or "off" or "no" or "n" or "0":
                result = false;
                return true;
            default:
                result = false;
                Error($"{Name}: '{value}' is not a boolean", "use on/off, yes/no, true/false, y/n or 1/0");
                return false;
        }
    }

    public bool TryInteger(string value, int min, int max, out int result)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result) && result >= min && result <= max)
        {
            return true;
        }

        Error($"{Name}: '{value}' is not a whole number from {min} to {max}");
        return false;
    }

    public bool TryChoice<T>(string value, IReadOnlyDictionary<string, T> choices, out T result, bool ignoreCase = false)
    {
        foreach (var (key, choice) in choices)
        {
            if (string.Equals(key, value, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            {
                result = choice;
                return true;
            }
        }

        result = default!;
        Error($"{Name}: '{value}' is not one of {string.Join(", ", choices.Keys)}");
        return false;
    }

    /// <summary>Heartbeat's compression plugins, by directive value.</summary>
    public static IReadOnlyDictionary<string, CompressionAlgorithm> CompressionChoices { get; } =
        new Dictionary<string, CompressionAlgorithm> { ["zlib"] = CompressionAlgorithm.Zlib, ["bz2"] = CompressionAlgorithm.BZip2 };
}
