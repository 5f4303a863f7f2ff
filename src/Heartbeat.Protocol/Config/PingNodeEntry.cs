using System.Collections.Immutable;

namespace Heartbeat.Protocol.Config;

/// <summary>The three ping plugins of 3.0.6, each a medium that adds a pseudo node of type <c>ping</c>.</summary>
public enum PingKind
{
    /// <summary><c>ping host</c>: ICMP echo to one IPv4 host.</summary>
    Ping,

    /// <summary><c>ping6 host</c>: ICMPv6 echo to one IPv6 host.</summary>
    Ping6,

    /// <summary><c>ping_group name host…</c>: one node, alive while any of its IPv4 hosts answers.</summary>
    PingGroup,
}

/// <summary>
/// A ping node: its name (the host for ping and ping6, the group's name for ping_group; lower-cased as 3.0.6's node
/// table has it), what ha.cf wrote (carried in the echo payload's <c>src</c>, as 3.0.6's medium name), its hosts and line.
/// </summary>
public sealed record PingNodeEntry(string Name, string Written, PingKind Kind, ImmutableArray<string> Hosts, int Line)
{
    /// <summary>The plugin's name, which 3.0.6 puts in the payload's <c>info</c> field and checks on the reply.</summary>
    public static string PluginName(PingKind kind) => kind switch
    {
        PingKind.Ping => "ping",
        PingKind.Ping6 => "ping6",
        _ => "ping_group",
    };

    public string Describe() => Kind == PingKind.PingGroup ? $"ping_group {Written} {string.Join(' ', Hosts)}" : $"{PluginName(Kind)} {Written}";
}
