using System.Collections.Immutable;

namespace Heartbeat.Protocol.Agents;

/// <summary>
/// 3.0.6's generic wrapper <c>OCF::type::instance</c>: the parameters are the <c>NAME=value</c> lines of
/// <c>&lt;config dir&gt;/conf/OCF/type/instance</c>, the agent is <c>type</c> of the first provider that has it, and the
/// action goes to the agent unchanged (status stays status, with <c>OCF_STATUS_QOS=0</c>; monitor is status with 10).
/// </summary>
public static class GenericOcf
{
    public static string InstanceFile(AgentContext context, string type, string instance) =>
        Path.Join(context.ConfigDirectory, "conf", "OCF", type, instance);

    /// <summary>
    /// The agent for <paramref name="type"/>: the first provider, in <c>ls</c> order, with an executable of that name.
    /// 3.0.6's wrapper means exactly this, but with Debian's shellfuncs (<c>OCF_AGENTS=…/resource.d/heartbeat/</c>) its
    /// <c>ls ${OCF_AGENTS}/*/type</c> looks one directory too deep and never finds one: a real 3.0.6 node fails these lines.
    /// </summary>
    public static string? FindAgent(AgentContext context, string type) =>
        context.Files.Providers(context.OcfRoot)
            .Order(StringComparer.Ordinal)
            .Select(provider => Path.Join(context.OcfRoot, "resource.d", provider, type))
            .FirstOrDefault(context.Files.IsExecutable);

    internal static WrapperCall Build(IReadOnlyList<string> arguments, string action, AgentContext context)
    {
        const string Usage = "usage: OCF OCF-resource-name OCF-instance-name operation-name";
        if (arguments.Count != 2)
        {
            return new WrapperCall(null, Usage);
        }

        string type = arguments[0];
        string instance = arguments[1];
        string file = InstanceFile(context, type, instance);
        string? agent = FindAgent(context, type);
        string? text = context.Files.FileExists(file) ? context.Files.ReadText(file) : null;
        if (agent is null || text is null)
        {
            // The wrapper prints its usage; the reason is ours.
            return new WrapperCall(null, $"{Usage}\n{(agent is null ? $"no OCF agent {type} under {context.OcfRoot}/resource.d" : $"no instance file {file}")}");
        }

        var environment = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        environment["OCF_ROOT"] = context.OcfRoot;
        environment["OCF_AGENTS"] = context.OcfAgents;

        // The wrapper's own (pre-1.0) names, with its slip: MAJOR is set twice, to 1 and then 0.
        environment["OCF_RES_VERSION_MAJOR"] = "0";
        environment["OCF_RES_NAME"] = instance;

        // Current agents read OCF_RESOURCE_INSTANCE (for state files and log lines); it names the same instance.
        environment["OCF_RESOURCE_INSTANCE"] = instance;
        foreach (var (name, value) in ParseInstanceFile(text))
        {
            environment[name] = value;
        }

        string agentAction = action;
        if (action is "status" or "monitor")
        {
            environment["OCF_STATUS_QOS"] = action == "status" ? "0" : "10";
            agentAction = "status";
        }

        return new WrapperCall(new AgentCall(agent, agentAction, environment.ToImmutable()), null);
    }

    /// <summary>
    /// The <c>NAME=value</c> lines of an instance file ('#' starts a comment; leading blanks go; one pair of quotes
    /// around the value goes). The wrapper sources the file with the shell; expansions in values are not performed.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> ParseInstanceFile(string text)
    {
        foreach (string raw in text.Split('\n'))
        {
            int hash = raw.IndexOf('#', StringComparison.Ordinal);
            string line = (hash < 0 ? raw : raw[..hash]).Trim();
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            string name = line[..equals];
            string value = line[(equals + 1)..];
            if (value.Length >= 2 && (value[0] is '"' or '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            if (name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                yield return new(name, value);
            }
        }
    }
}
