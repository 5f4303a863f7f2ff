using System.Collections.Immutable;

namespace Heartbeat.Protocol.Agents;

/// <summary>How a wrapper turns its '::' arguments into <c>OCF_RESKEY_*</c> parameters.</summary>
public enum WrapperArguments
{
    /// <summary>Argument i sets parameter i; missing trailing arguments leave their parameters unset.</summary>
    Positional,

    /// <summary>IPaddr and IPaddr2: one <c>ip[/netmask[/nic[/broadcast]]]</c> split into ip, cidr_netmask, nic, broadcast.</summary>
    IpAddress,

    /// <summary>IPv6addr: one <c>addr[/prefix[/nic]]</c> split into ipv6addr, cidr_netmask, nic.</summary>
    Ipv6Address,

    /// <summary>SendArp: one <c>ip/nic</c> split into ip and nic.</summary>
    AddressAndInterface,

    /// <summary>AudibleAlarm: every argument is a node of one blank-separated nodelist.</summary>
    NodeList,

    /// <summary>WAS: one argument that is a configuration file if it exists, else a port number.</summary>
    ConfigFileOrPort,

    /// <summary><c>OCF::type::instance</c>: the parameters come from <c>&lt;config dir&gt;/conf/OCF/type/instance</c>.</summary>
    InstanceFile,
}

/// <summary>
/// One of the wrappers Debian's heartbeat 3.0.6 package ships in <c>/etc/ha.d/resource.d</c>: a shell script that turns
/// its <c>::</c> arguments into <c>OCF_RESKEY_*</c> variables and runs an OCF agent of resource-agents through
/// hto-mapfuncs' <c>ra_execocf</c>. HeartbeatNet builds the same environment (<see cref="WrapperCalls"/>) and runs the agent.
/// </summary>
/// <param name="Name">The resource name in haresources (the wrapper's file name).</param>
/// <param name="Agent">The OCF agent under <c>$OCF_ROOT/resource.d/heartbeat</c>.</param>
/// <param name="Parameters">The OCF parameter names the arguments set, in argument order (without <c>OCF_RESKEY_</c>).</param>
/// <param name="MinArguments">The fewest '::' arguments the wrapper accepts.</param>
/// <param name="MaxArguments">The most it accepts; null for no limit.</param>
/// <param name="Style">How the arguments become parameters.</param>
/// <param name="Usage">The argument part of the wrapper's usage line, for diagnostics.</param>
/// <param name="Instance">The parameters whose values, joined by '_' after the agent's name and a '_', make <c>OCF_RESOURCE_INSTANCE</c>; empty: the agent's name alone. "*" stands for the first argument as written.</param>
/// <param name="StockSha256">The SHA-256 of the Debian 3.0.6 wrapper file: a byte-identical copy in resource.d is run natively.</param>
public sealed record ResourceWrapper(
    string Name,
    string Agent,
    ImmutableArray<string> Parameters,
    int MinArguments,
    int? MaxArguments,
    WrapperArguments Style,
    string Usage,
    ImmutableArray<string> Instance,
    string StockSha256)
{
    /// <summary>Parameters always exported with these values (IPaddr's lvs_support).</summary>
    public ImmutableDictionary<string, string> Fixed { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Parameters exported with these values when their argument is missing (WinPopup's hostfile).</summary>
    public ImmutableDictionary<string, string> Defaults { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Values used for the instance name only when the parameter is missing (Delay's 10, never exported).</summary>
    public ImmutableDictionary<string, string> InstanceDefaults { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Whether <paramref name="count"/> '::' arguments are what the wrapper accepts.</summary>
    public bool Accepts(int count) => count >= MinArguments && (MaxArguments is null || count <= MaxArguments) && (Name != "ids" || count is 0 or 3);

    /// <summary>The accepted argument count in words ("exactly 1", "2 to 4", "0 or 3", "any number").</summary>
    public string ArgumentCountText => Name == "ids" ? "0 or 3"
        : MaxArguments is null ? (MinArguments == 0 ? "any number of" : $"at least {MinArguments}")
        : MinArguments == MaxArguments ? $"exactly {MinArguments}"
        : $"{MinArguments} to {MaxArguments}";
}
