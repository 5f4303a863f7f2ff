using System.Collections.Immutable;

namespace Heartbeat.Protocol.Agents;

/// <summary>What the wrappers need to know about the machine (files), supplied by the I/O shell or a test.</summary>
public interface IAgentFiles
{
    /// <summary>Whether the path is a regular file.</summary>
    bool FileExists(string path);

    /// <summary>Whether the path is a file the caller may execute.</summary>
    bool IsExecutable(string path);

    /// <summary>The text of a file, or null when it cannot be read.</summary>
    string? ReadText(string path);

    /// <summary>The provider directories under <c>$OCF_ROOT/resource.d</c> (heartbeat, pacemaker, …).</summary>
    IReadOnlyList<string> Providers(string ocfRoot);

    /// <summary>The file's SHA-256 in hex, or null when it cannot be read.</summary>
    string? Sha256(string path);
}

/// <summary>Where the wrappers look: the OCF root and the config directory (for OCF instance files).</summary>
public sealed record AgentContext(string OcfRoot, string ConfigDirectory, IAgentFiles Files)
{
    public const string DefaultOcfRoot = "/usr/lib/ocf";

    /// <summary>Searched after resource.d, as ResourceManager's INITDIR.</summary>
    public string InitDirectory { get; init; } = "/etc/init.d";

    /// <summary><c>&lt;config dir&gt;/resource.d</c>: searched first.</summary>
    public string ResourceDirectory { get; init; } = Path.Join(ConfigDirectory, "resource.d");

    /// <summary>The agent of the heartbeat provider, where every 3.0.6 wrapper looks.</summary>
    public string HeartbeatAgent(string type) => Path.Join(OcfRoot, "resource.d", "heartbeat", type);

    /// <summary>
    /// <c>OCF_AGENTS</c>, which every wrapper's agent inherits: the wrappers source ha.d/shellfuncs, which exports it
    /// (the heartbeat provider's directory, with its trailing slash; the side-by-side test saw it in 3.0.6's calls).
    /// </summary>
    public string OcfAgents => Path.Join(OcfRoot, "resource.d", "heartbeat") + "/";
}

/// <summary>One run of an OCF agent: its path, the action it gets and the variables added to the script environment.</summary>
public sealed record AgentCall(string AgentPath, string AgentAction, ImmutableDictionary<string, string> Environment);

/// <summary>
/// A wrapper's decision for one action: the agent call, or the refusal (usage, a missing agent) the wrapper prints
/// before exiting 1 without calling any agent.
/// </summary>
public sealed record WrapperCall(AgentCall? Call, string? Refusal)
{
    public const int RefusalExitCode = 1;
}

/// <summary>
/// Builds what a 3.0.6 wrapper would run for <c>Name::arg…</c> and an action (start, stop, status): the
/// <c>OCF_RESKEY_*</c> parameters from the arguments, <c>OCF_ROOT</c>, <c>OCF_RA_VERSION_MAJOR/MINOR</c> (1.0),
/// <c>OCF_TYPE</c>, <c>OCF_RESOURCE_INSTANCE</c>, and the agent's action (status becomes monitor). Pure.
/// </summary>
public static class WrapperCalls
{
    public static WrapperCall Build(ResourceWrapper wrapper, IReadOnlyList<string> arguments, string action, AgentContext context)
    {
        if (wrapper.Style == WrapperArguments.InstanceFile)
        {
            return GenericOcf.Build(arguments, action, context);
        }

        if (!wrapper.Accepts(arguments.Count))
        {
            // MailTo says why before its usage line; the others print the usage alone. Both exit 1.
            string why = wrapper.Name == "MailTo" && arguments.Count == 0 ? "At least 1 Email address has to be given!\n"
                : wrapper.Name == "MailTo" ? $"Additional parameters found: {arguments.Count + 1} but max. 3 are allowed!\n"
                : string.Empty;
            return new WrapperCall(null, $"{why}{UsageLine(wrapper)}");
        }

        if (action is not ("start" or "stop" or "status" or "monitor"))
        {
            return new WrapperCall(null, $"ERROR: Unknown operation: {action}\n{UsageLine(wrapper)}");
        }

        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        string? refusal = MapArguments(wrapper, arguments, context, parameters);
        if (refusal is not null)
        {
            return new WrapperCall(null, refusal);
        }

        foreach (var (name, value) in wrapper.Defaults)
        {
            parameters.TryAdd(name, value);
        }

        foreach (var (name, value) in wrapper.Fixed)
        {
            parameters[name] = value;
        }

        string agentPath = context.HeartbeatAgent(wrapper.Agent);
        if (!context.Files.IsExecutable(agentPath))
        {
            // hto-mapfuncs' wording (resource-agents is not installed, or lacks this agent).
            return new WrapperCall(null, $"ERROR: {agentPath} is not an executable file ");
        }

        var environment = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        environment["OCF_ROOT"] = context.OcfRoot;
        environment["OCF_AGENTS"] = context.OcfAgents;
        environment["OCF_RA_VERSION_MAJOR"] = "1";
        environment["OCF_RA_VERSION_MINOR"] = "0";
        environment["OCF_TYPE"] = wrapper.Agent;
        environment["OCF_RESOURCE_INSTANCE"] = InstanceName(wrapper, arguments, parameters);
        foreach (var (name, value) in parameters)
        {
            environment["OCF_RESKEY_" + name] = value;
        }

        // ra_execocf: "status) $__SCRIPT_NAME monitor;; # Mapping this to monitor is a bug" (their comment).
        string agentAction = action == "status" ? "monitor" : action;
        return new WrapperCall(new AgentCall(agentPath, agentAction, environment.ToImmutable()), null);
    }

    /// <summary>The usage line the wrapper prints (with its legal actions, as hto-mapfuncs lists them).</summary>
    public static string UsageLine(ResourceWrapper wrapper) =>
        $"usage: {wrapper.Name} {wrapper.Usage} (start|stop|status|usage|meta-data)";

    private static string? MapArguments(ResourceWrapper wrapper, IReadOnlyList<string> arguments, AgentContext context, Dictionary<string, string> parameters)
    {
        switch (wrapper.Style)
        {
            case WrapperArguments.Positional:
                for (int i = 0; i < arguments.Count; i++)
                {
                    parameters[wrapper.Parameters[i]] = arguments[i];
                }

                return null;
            case WrapperArguments.IpAddress:
                SplitIpAddress(arguments[0], parameters);
                return null;
            case WrapperArguments.Ipv6Address:
                SplitIpv6Address(arguments[0], parameters);
                return null;
            case WrapperArguments.AddressAndInterface:
                // SendArp: the interface is the argument with the first "ip/" removed; without a '/' that is the
                // whole argument, so the address itself becomes the "interface" (and the agent fails).
                string ip = Before(arguments[0], '/');
                int at = arguments[0].IndexOf(ip + "/", StringComparison.Ordinal);
                parameters["ip"] = ip;
                parameters["nic"] = at < 0 ? arguments[0] : arguments[0].Remove(at, ip.Length + 1);
                return null;
            case WrapperArguments.NodeList:
                // "echo $*" with the action cut off its end: the list keeps the blank that preceded the action.
                parameters["nodelist"] = arguments.Count == 0 ? string.Empty : string.Join(' ', arguments) + " ";
                return null;
            case WrapperArguments.ConfigFileOrPort:
                if (arguments.Count == 1)
                {
                    if (context.Files.FileExists(arguments[0]))
                    {
                        parameters["config"] = arguments[0];
                    }
                    else if (arguments[0].All(char.IsAsciiDigit))
                    {
                        parameters["port"] = arguments[0];
                    }
                    else
                    {
                        return $"ERROR: {arguments[0]} is neither a WAS configuration file nor a valid port number!\n{UsageLine(wrapper)}";
                    }
                }

                return null;
            default:
                throw new InvalidOperationException($"{wrapper.Name}: style {wrapper.Style} is not positional");
        }
    }

    /// <summary>IPaddr/IPaddr2: <c>ip[/netmask[/nic[/broadcast]]]</c>; a numeric third field is the broadcast.</summary>
    private static void SplitIpAddress(string argument, Dictionary<string, string> parameters)
    {
        string ip = Before(argument, '/');
        parameters["ip"] = ip;

        // sed 's%^BASE/*%%': the value and every '/' after it go.
        string rest = argument[ip.Length..].TrimStart('/');
        if (rest.Length == 0)
        {
            return;
        }

        string netmask = Before(rest, '/');
        parameters["cidr_netmask"] = netmask;
        rest = rest[netmask.Length..].TrimStart('/');
        string nic = Before(rest, '/');
        if (nic.Length == 0)
        {
            return;
        }

        if (char.IsAsciiDigit(nic[0]))
        {
            parameters["broadcast"] = nic;
            return;
        }

        // With a NIC the broadcast is exported even when empty.
        parameters["nic"] = nic;
        parameters["broadcast"] = Before(rest[nic.Length..].TrimStart('/'), '/');
    }

    /// <summary>IPv6addr: <c>addr[/prefix[/nic]]</c>.</summary>
    private static void SplitIpv6Address(string argument, Dictionary<string, string> parameters)
    {
        string address = Before(argument, '/');
        parameters["ipv6addr"] = address;

        // sed 's%^BASE*%%' removes the address and any repeats of its last character.
        string rest = argument[address.Length..];
        if (address.Length > 0)
        {
            rest = rest.TrimStart(address[^1]);
        }

        if (rest.Length == 0)
        {
            return;
        }

        string netmask = Before(rest.StartsWith('/') ? rest[1..] : rest, '/');
        parameters["cidr_netmask"] = netmask;
        if (rest.StartsWith("/" + netmask, StringComparison.Ordinal))
        {
            rest = rest[(netmask.Length + 1)..].TrimStart('/');
        }

        string nic = Before(rest, '/');
        if (nic.Length > 0)
        {
            parameters["nic"] = nic;
        }
    }

    private static string InstanceName(ResourceWrapper wrapper, IReadOnlyList<string> arguments, Dictionary<string, string> parameters)
    {
        if (wrapper.Instance.IsEmpty)
        {
            return wrapper.Agent;
        }

        var parts = wrapper.Instance.Select(name => name == "*"
            ? arguments[0]
            : parameters.GetValueOrDefault(name) ?? wrapper.InstanceDefaults.GetValueOrDefault(name) ?? string.Empty);
        return $"{wrapper.Agent}_{string.Join('_', parts)}";
    }

    private static string Before(string text, char separator)
    {
        int at = text.IndexOf(separator, StringComparison.Ordinal);
        return at < 0 ? text : text[..at];
    }
}
