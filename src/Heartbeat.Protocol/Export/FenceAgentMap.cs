using System.Collections.Immutable;

namespace Heartbeat.Protocol.Export;

/// <summary>
/// <c>stonith_host FROM TYPE ARGS…</c> → a Pacemaker fence device. The TYPE is a cluster-glue STONITH plugin whose
/// arguments are positional (their order is the plugin's <c>stonith -t TYPE -n</c> list); the device becomes the
/// fence-agents agent that drives the same hardware, with those arguments under the agent's names. Plugins with no
/// known fence agent (and the test plugins ssh, null, meatware, suicide, which fence nothing) are not converted: the
/// caller says so and leaves fencing off.
/// </summary>
public static class FenceAgentMap
{
    /// <summary>One plugin: the fence agent, the agent parameter for each positional argument (null: not passed), and how many arguments it needs.</summary>
    private sealed record Plugin(string Agent, string?[] Parameters, int MinArguments, string? TargetParameter, string? Comment);

    private static readonly Dictionary<string, Plugin> Plugins = new(StringComparer.Ordinal)
    {
        ["external/ipmi"] = new("fence_ipmilan", ["pcmk_host_list", "ip", "username", "password", null], 4, "pcmk_host_list", "the fifth argument (lan or lanplus) is the interface: lanplus sets lanplus=1"),
        ["ipmilan"] = new("fence_ipmilan", ["pcmk_host_list", "ip", "ipport", "auth", "privlvl", "username", "password", null], 7, "pcmk_host_list", "ipmilan's reset_method has no fence_ipmilan equivalent; fence_ipmilan power-cycles"),
        ["external/riloe"] = new("fence_ilo", ["pcmk_host_list", "ip", "username", "password"], 4, "pcmk_host_list", "riloe's can_reset/protocol/powerdown arguments are not passed: fence_ilo finds them"),
        ["apcmaster"] = new("fence_apc", ["ip", "username", "password"], 3, null, "NOT EQUIVALENT: apcmaster found each node's outlet by name; set pcmk_host_map=\"node1:outlet;node2:outlet\" on this device"),
        ["wti_nps"] = new("fence_wti", ["ip", "password"], 2, null, "NOT EQUIVALENT: wti_nps found each node's plug by name; set pcmk_host_map=\"node1:plug;node2:plug\" on this device"),
    };

    /// <summary>The device for one stonith_host line, or null when the plugin has no known fence agent (or too few arguments).</summary>
    /// <param name="line">The stonith_host line: FROM, TYPE, then the plugin's arguments.</param>
    /// <param name="target">The node the device resets, when the plugin names one (its first argument); the caller keeps the device off it.</param>
    public static PrimitiveResource? Map(HaCfLine line, out string? target)
    {
        target = null;
        if (line.Words.Length < 2 || !Plugins.TryGetValue(line.Words[1], out var plugin))
        {
            return null;
        }

        var args = line.Words[2..];
        if (args.Length < plugin.MinArguments)
        {
            return null;
        }

        var parameters = ImmutableArray.CreateBuilder<NameValue>();
        for (int i = 0; i < args.Length && i < plugin.Parameters.Length; i++)
        {
            if (plugin.Parameters[i] is { } name)
            {
                parameters.Add(new NameValue(name, name == "pcmk_host_list" ? args[i].ToLowerInvariant() : args[i]));
            }
        }

        if (line.Words[1] == "external/ipmi" && args.Length > 4 && args[4] == "lanplus")
        {
            parameters.Add(new NameValue("lanplus", "1"));
        }

        if (plugin.TargetParameter is not null)
        {
            target = args[0].ToLowerInvariant();
        }

        var comments = ImmutableArray.CreateBuilder<string>();
        comments.Add($"ha.cf:{line.Line} 'stonith_host {line.Words[0]} {line.Words[1]} …' (cluster-glue plugin {line.Words[1]} → {plugin.Agent}); it holds the device's password from ha.cf");
        if (line.Words[0] != "*")
        {
            comments.Add($"3.0.6 used this device only from {line.Words[0]}; Pacemaker runs it from any node but its target");
        }

        if (plugin.Comment is not null)
        {
            comments.Add(plugin.Comment);
        }

        string id = ResourceAgentMap.Id("fence_" + (target ?? plugin.Agent + "_" + line.Line));
        return new PrimitiveResource(id, "stonith", null, plugin.Agent, parameters.ToImmutable(), [new MonitorOp("60s")], comments.ToImmutable());
    }
}
