using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Agents;

/// <summary>
/// <c>hbctl check-config</c>'s look at each haresources resource before the daemon tries it: the wrapper's argument
/// count, the OCF agent it needs, and whether anything at all answers to the name (resource.d, a native wrapper,
/// /etc/init.d). 3.0.6 finds each of these only when the group starts, and the group then fails.
/// </summary>
public static class ResourceChecks
{
    /// <param name="resources">The parsed haresources.</param>
    /// <param name="path">For diagnostics.</param>
    /// <param name="context">Where to look.</param>
    /// <param name="hostChecks">Whether the machine's own files (the OCF agents, /etc/init.d) are the ones the node will use; false checks only what the config directory says.</param>
    public static IEnumerable<ConfigDiagnostic> Check(HaResources resources, string path, AgentContext context, bool hostChecks)
    {
        var bag = new DiagnosticBag(path);
        foreach (var group in resources.Groups)
        {
            foreach (var resource in group.Resources.Where(r => !r.IsIpAddress))
            {
                CheckResource(resource, group.Line, context, hostChecks, bag);
            }
        }

        return bag.Items;
    }

    private static void CheckResource(ResourceSpec resource, int line, AgentContext context, bool hostChecks, DiagnosticBag bag)
    {
        var found = ResourceSearch.Resolve(resource.Script, context);
        switch (found.Source)
        {
            case ScriptSource.ResourceDirectory:
                return; // the user's own script: its arguments are its business
            case ScriptSource.NativeWrapper:
                var wrapper = found.Wrapper!;
                int count = resource.Arguments.Length;
                if (!wrapper.Accepts(count))
                {
                    bag.Error(line, $"{resource.Text}: {wrapper.Name} takes {wrapper.ArgumentCountText} argument(s) ({wrapper.Name}::{wrapper.Usage.Replace(" ", "::", StringComparison.Ordinal)}), not {count}", "3.0.6's wrapper prints its usage and exits 1, so the group fails to start");
                    return;
                }

                if (wrapper.Style == WrapperArguments.InstanceFile)
                {
                    CheckGenericOcf(resource, line, context, hostChecks, bag);
                }
                else if (hostChecks && !context.Files.IsExecutable(context.HeartbeatAgent(wrapper.Agent)))
                {
                    bag.Error(line, $"{resource.Text}: the OCF agent {context.HeartbeatAgent(wrapper.Agent)} is missing", "install resource-agents (apt-get install resource-agents), which 3.0.6's wrappers call too");
                }

                return;
            case ScriptSource.InitDirectory:
                return;
            default:
                if (hostChecks)
                {
                    bag.Error(line, $"{resource.Text}: unknown resource '{resource.Script}': no script {Path.Join(context.ResourceDirectory, resource.Script)} or {Path.Join(context.InitDirectory, resource.Script)}, and not one of 3.0.6's resource.d wrappers", resource.Script == "drbddisk" ? "drbddisk comes with drbd-utils (apt-get install drbd-utils)" : "3.0.6 logs \"Cannot locate resource script\" and the group fails to start");
                }

                return;
        }
    }

    private static void CheckGenericOcf(ResourceSpec resource, int line, AgentContext context, bool hostChecks, DiagnosticBag bag)
    {
        string type = resource.Arguments[0];
        string file = GenericOcf.InstanceFile(context, type, resource.Arguments[1]);
        if (!context.Files.FileExists(file))
        {
            bag.Error(line, $"{resource.Text}: the instance file {file} does not exist", "OCF::type::instance reads the agent's parameters (OCF_RESKEY_name=value lines) from it");
        }

        if (hostChecks && GenericOcf.FindAgent(context, type) is null)
        {
            bag.Error(line, $"{resource.Text}: no OCF agent {type} under {context.OcfRoot}/resource.d", "install resource-agents (apt-get install resource-agents)");
        }

        bag.Note(line, $"{resource.Text}: a real 3.0.6 node cannot run OCF::type::instance", "its wrapper looks for the agent one directory too deep (${OCF_AGENTS}/*/type with OCF_AGENTS=/usr/lib/ocf/resource.d/heartbeat/) and prints its usage");
    }
}
