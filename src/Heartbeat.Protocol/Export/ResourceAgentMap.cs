using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Export;

/// <summary>
/// haresources resource names → Pacemaker primitives. Heartbeat 3.0.6's /etc/ha.d/resource.d wrappers are thin
/// shells around the OCF agents of the same name: each turns its <c>::</c> arguments, in order, into
/// <c>OCF_RESKEY_*</c> variables and runs <c>/usr/lib/ocf/resource.d/heartbeat/TYPE</c>. This table is those
/// wrappers read back (positional argument → OCF parameter), so the primitive gets exactly the parameters the
/// wrapper passed. A name not in the table and not special is an /etc/init.d script: <c>lsb:NAME</c>.
/// </summary>
/// <remarks>
/// The daemon's own wrapper → agent knowledge (the IPaddr/IPaddr2 parsing in <see cref="HaResourcesParser"/>) is
/// separate; a shared table of resource.d wrappers could later serve both this export and the node.
/// </remarks>
public static class ResourceAgentMap
{
    /// <summary>One wrapper: its OCF type, the parameter each positional argument sets, and how many it requires.</summary>
    private sealed record Wrapper(string Type, string[] Parameters, int MinArguments, string Usage);

    private static readonly FrozenDictionary<string, Wrapper> Wrappers = new Dictionary<string, Wrapper>(StringComparer.Ordinal)
    {
        ["Filesystem"] = new("Filesystem", ["device", "directory", "fstype", "options"], 2, "Filesystem::device::directory[::fstype[::options]]"),
        ["IPsrcaddr"] = new("IPsrcaddr", ["ipaddress"], 1, "IPsrcaddr::ip"),
        ["MailTo"] = new("MailTo", ["email", "subject"], 1, "MailTo::email[::subject]"),
        ["apache"] = new("apache", ["configfile"], 0, "apache[::configfile]"),
        ["LVM"] = new("LVM", ["volgrpname"], 1, "LVM::volume-group"),
        ["Raid1"] = new("Raid1", ["raidconf", "raiddev"], 2, "Raid1::raidtab::md-device"),
        ["Xinetd"] = new("Xinetd", ["service"], 1, "Xinetd::service"),
        ["portblock"] = new("portblock", ["protocol", "portno", "action"], 3, "portblock::tcp|udp::ports::block|unblock"),
        ["db2"] = new("db2", ["instance"], 1, "db2::instance-owner"),
        ["LinuxSCSI"] = new("LinuxSCSI", ["scsi"], 1, "LinuxSCSI::host:channel:target[:lun]"),
        ["ICP"] = new("ICP", ["driveid", "device"], 2, "ICP::drive-id::device"),
        ["ServeRAID"] = new("ServeRAID", ["serveraid", "mergegroup"], 2, "ServeRAID::adapter::merge-group"),
        ["ids"] = new("ids", ["informixdir", "informixserver", "onconfig"], 0, "ids[::informixdir::informixserver::onconfig]"),
        ["WinPopup"] = new("WinPopup", ["hostfile"], 0, "WinPopup[::hostfile]"),
        ["Delay"] = new("Delay", ["startdelay", "stopdelay"], 0, "Delay[::startdelay[::stopdelay]]"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="script"/> is a resource.d wrapper this table (or the code below) converts.</summary>
    public static bool IsWrapper(string script) =>
        Wrappers.ContainsKey(script) || script is "IPaddr" or "IPaddr2" or "IPv6addr" or "SendArp" or "WAS" or "AudibleAlarm" or "OCF" or "drbddisk";

    /// <summary>
    /// The primitive for one haresources resource (its id is a proposal; the caller makes ids unique), or null after
    /// reporting at the resource's line why it cannot be converted. <c>drbddisk</c> is the caller's: it is a clone.
    /// </summary>
    public static PrimitiveResource? Map(ResourceSpec resource, int line, DiagnosticBag diagnostics)
    {
        var primitive = MapResource(resource, line, diagnostics);

        // Each OCF primitive names the resource it came from (an lsb one says more, below).
        return primitive is { Class: "ocf" } ? primitive with { Comments = [$"haresources '{resource.Text}'", .. primitive.Comments] } : primitive;
    }

    private static PrimitiveResource? MapResource(ResourceSpec resource, int line, DiagnosticBag diagnostics)
    {
        var args = resource.Arguments;
        switch (resource.Script)
        {
            case "IPaddr" or "IPaddr2":
                return IpAddress(resource);
            case "IPv6addr":
                return IPv6Address(resource, line, diagnostics);
            case "SendArp":
                if (args.Length != 1 || !args[0].Contains('/', StringComparison.Ordinal))
                {
                    return Unusable(resource, line, diagnostics, "SendArp::ip/interface");
                }

                // The wrapper splits ip/interface at the first '/'.
                int slash = args[0].IndexOf('/', StringComparison.Ordinal);
                return Ocf("SendArp", args[0][..slash], [new("ip", args[0][..slash]), new("nic", args[0][(slash + 1)..])], []);
            case "WAS":
                if (args.Length > 1)
                {
                    return Unusable(resource, line, diagnostics, "WAS[::config-file|::port]");
                }

                // The wrapper reads a numeric argument as the snoop port, anything else as the config file.
                return Ocf("WAS", null, args.IsEmpty ? [] : [new(args[0].All(char.IsAsciiDigit) ? "port" : "config", args[0])], []);
            case "AudibleAlarm":
                // The wrapper passes every argument as one space-separated node list.
                return Ocf("AudibleAlarm", null, args.IsEmpty ? [] : [new("nodelist", string.Join(' ', args))], []);
            case "OCF":
                diagnostics.Error(line, $"'{resource.Text}': the OCF wrapper reads the agent's parameters from /etc/ha.d/conf/OCF/{(args.IsEmpty ? "AGENT" : args[0])}/INSTANCE, which export does not read", "replace it in a copy of haresources with the agent's own wrapper, or add the primitive to the exported configuration by hand");
                return null;
        }

        if (Wrappers.TryGetValue(resource.Script, out var wrapper))
        {
            if (args.Length < wrapper.MinArguments || args.Length > wrapper.Parameters.Length
                || (resource.Script == "ids" && args.Length is 1 or 2))
            {
                return Unusable(resource, line, diagnostics, wrapper.Usage);
            }

            var parameters = args.Select((a, i) => new NameValue(wrapper.Parameters[i], a)).ToList();
            var comments = new List<string>();
            if (resource.Script == "Delay" && args.IsEmpty)
            {
                parameters.Add(new NameValue("startdelay", "10"));
                comments.Add("startdelay=10 is resource.d/Delay's default (the OCF agent's own is 30)");
            }
            else if (resource.Script == "WinPopup" && args.IsEmpty)
            {
                parameters.Add(new NameValue("hostfile", "hosts"));
                comments.Add("hostfile=hosts is resource.d/WinPopup's default");
            }

            return Ocf(wrapper.Type, args.IsEmpty ? null : args[0], [.. parameters], [.. comments]);
        }

        // Not a wrapper: 3.0.6 runs /etc/init.d/NAME [args] start|stop|status, an LSB init script.
        var notes = ImmutableArray.CreateBuilder<string>();
        notes.Add($"haresources '{resource.Text}': /etc/init.d/{resource.Script}, an LSB init script (an /etc/ha.d/resource.d script of this name would need installing as /etc/init.d/{resource.Script} first)");
        if (!args.IsEmpty)
        {
            string lost = string.Join(' ', args);
            notes.Add($"NOT EQUIVALENT: 3.0.6 called it as '{resource.Script} {lost} start'; lsb: resources take no arguments, so '{lost}' must go into a wrapper script");
            diagnostics.Warning(line, $"'{resource.Text}': lsb:{resource.Script} takes no arguments; '{lost}' is named in a comment of the output, not passed", "write an init script wrapper that passes them");
        }

        return new PrimitiveResource(Id(resource.Script), "lsb", null, resource.Script, [], [new MonitorOp("15s")], notes.ToImmutable());
    }

    private static PrimitiveResource IpAddress(ResourceSpec resource)
    {
        var ip = resource.Ip!;
        var parameters = ImmutableArray.CreateBuilder<NameValue>();
        parameters.Add(new("ip", ip.Address.ToString()));
        if (ip.PrefixLength is int prefix)
        {
            parameters.Add(new("cidr_netmask", prefix.ToString(CultureInfo.InvariantCulture)));
        }

        if (ip.Interface is not null)
        {
            parameters.Add(new("nic", ip.Interface));
        }

        if (ip.Label is not null)
        {
            parameters.Add(new("iflabel", ip.Label));
        }

        if (ip.Broadcast is not null)
        {
            parameters.Add(new("broadcast", ip.Broadcast.ToString()));
        }

        var comments = ImmutableArray.CreateBuilder<string>();
        if (resource.Script == "IPaddr")
        {
            // IPaddr and IPaddr2 take the same parameters; IPaddr2 is the Linux agent (ip(8), not ifconfig aliases)
            // and the one HeartbeatNet's own IP handling behaves like.
            comments.Add("IPaddr (resource.d/IPaddr → ocf:heartbeat:IPaddr) becomes ocf:heartbeat:IPaddr2, the Linux agent with the same parameters");
        }

        if (ip.PrefixLength is null || ip.Interface is null)
        {
            comments.Add("no netmask or interface given: IPaddr2 finds them from the route covering the address, as 3.0.6's findif did");
        }

        return Ocf("IPaddr2", ip.Address.ToString(), parameters.ToImmutable(), comments.ToImmutable());
    }

    private static PrimitiveResource? IPv6Address(ResourceSpec resource, int line, DiagnosticBag diagnostics)
    {
        // haresources splits on "::", which IPv6 addresses contain; join the pieces back into the one argument.
        string text = string.Join("::", resource.Arguments);
        string[] parts = text.Split('/');
        if (parts.Length > 3 || !System.Net.IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return Unusable(resource, line, diagnostics, "IPv6addr::address[/prefix[/interface]]");
        }

        var parameters = ImmutableArray.CreateBuilder<NameValue>();
        parameters.Add(new("ipv6addr", address.ToString()));
        if (parts.Length > 1)
        {
            parameters.Add(new("cidr_netmask", parts[1]));
        }

        if (parts.Length > 2)
        {
            parameters.Add(new("nic", parts[2]));
        }

        return Ocf("IPv6addr", address.ToString(), parameters.ToImmutable(), ["3.0.6 splits arguments on '::' and passed this address in pieces; the export joins them back"]);
    }

    private static PrimitiveResource? Unusable(ResourceSpec resource, int line, DiagnosticBag diagnostics, string usage)
    {
        diagnostics.Error(line, $"'{resource.Text}' does not match {usage}", $"3.0.6's resource.d/{resource.Script} would print its usage and fail the same way");
        return null;
    }

    private static PrimitiveResource Ocf(string type, string? instance, ImmutableArray<NameValue> parameters, ImmutableArray<string> comments) =>
        new(Id(instance is null ? type : $"{type}_{instance}"), "ocf", "heartbeat", type, parameters, [new MonitorOp("10s")], comments);

    /// <summary>
    /// An id Pacemaker, pcs and crmsh all accept (an XML NCName: letters, digits, '.', '-', '_', not starting with a
    /// digit), after 3.0.6's own instance names (<c>TYPE_firstargument</c>).
    /// </summary>
    public static string Id(string text)
    {
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray();
        string id = string.Join('_', new string(chars).Split('_', StringSplitOptions.RemoveEmptyEntries));
        return id.Length == 0 || !char.IsAsciiLetter(id[0]) ? "r_" + id : id;
    }
}
