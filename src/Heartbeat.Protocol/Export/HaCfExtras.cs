using System.Collections.Immutable;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Export;

/// <summary>One ha.cf line of a directive the <see cref="HaCf"/> record does not keep (a node ignores it), split into words.</summary>
public sealed record HaCfLine(string Directive, ImmutableArray<string> Words, int Line)
{
    public string Text => Words.IsEmpty ? Directive : $"{Directive} {string.Join(' ', Words)}";
}

/// <summary>
/// The ha.cf directives that matter to Pacemaker in their written form (ping nodes, STONITH, respawned helpers, the
/// media HeartbeatNet does not open), read again from the file: <see cref="HaCf"/> keeps what a node runs with, and the
/// export must name every one of these in its output rather than drop it.
/// </summary>
public static class HaCfExtras
{
    private static readonly ImmutableHashSet<string> Wanted =
    [
        "ping", "ping6", "ping_group", "deadping", "stonith", "stonith_host", "respawn", "failfast", "mcast6", "ucast6",
        "serial", "quorum_server", "apiauth",
    ];

    /// <summary>The lines, in file order; the file is already known to parse (<see cref="HaCfParser"/>), so this only splits.</summary>
    public static ImmutableArray<HaCfLine> Read(ReadOnlySpan<byte> haCf)
    {
        var lines = ImmutableArray.CreateBuilder<HaCfLine>();
        foreach (var line in ConfigLines.Split(haCf))
        {
            // The same lexical rules as HaCfParser: '#' starts a comment anywhere, words split on blanks.
            string[] words = ConfigLines.StripComment(line.Text).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 0 && Wanted.Contains(words[0]))
            {
                lines.Add(new HaCfLine(words[0], [.. words[1..]], line.Number));
            }
        }

        return lines.ToImmutable();
    }

    /// <summary>
    /// The ping hosts of <c>ping</c> lines (each host its own ping node; values split on blanks and commas, as
    /// HaCfParser applies them) and of <c>ping_group</c> lines (name, then hosts).
    /// </summary>
    public static ImmutableArray<string> PingHosts(IEnumerable<HaCfLine> lines) =>
    [
        .. lines.SelectMany(l => l.Directive switch
        {
            "ping" => l.Words.SelectMany(w => w.Split(',', StringSplitOptions.RemoveEmptyEntries)),
            "ping_group" => l.Words.Skip(1),
            _ => [],
        }).Distinct(StringComparer.Ordinal),
    ];
}
