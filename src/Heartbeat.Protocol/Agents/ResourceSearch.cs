namespace Heartbeat.Protocol.Agents;

/// <summary>Where a resource's script comes from.</summary>
public enum ScriptSource
{
    /// <summary>Nowhere: 3.0.6 logs "Cannot locate resource script" and the action fails.</summary>
    None,

    /// <summary>A script the user put in resource.d (anything but a byte-identical copy of a stock wrapper).</summary>
    ResourceDirectory,

    /// <summary>One of 3.0.6's wrappers, carried out natively: the OCF agent is run with the wrapper's environment.</summary>
    NativeWrapper,

    /// <summary>An init script in /etc/init.d.</summary>
    InitDirectory,
}

/// <summary>The outcome of the search: where the script is, its path (for a script) or its wrapper (native).</summary>
public sealed record ResolvedScript(ScriptSource Source, string? Path, ResourceWrapper? Wrapper);

/// <summary>
/// ResourceManager's <c>scriptpath</c>: the first executable file named like the resource in resource.d, then in
/// /etc/init.d. 3.0.6's wrappers lived in resource.d; HeartbeatNet's package ships it empty and runs them natively, so
/// the native wrapper takes resource.d's place in the order: a script the user put there still wins, except that a
/// byte-identical copy of Debian's stock wrapper (left behind by the heartbeat package's conffiles) is treated as the
/// native wrapper it replaces, because it is that wrapper.
/// </summary>
public static class ResourceSearch
{
    public static ResolvedScript Resolve(string script, AgentContext context)
    {
        var wrapper = ResourceWrappers.Find(script);
        string user = Path.Join(context.ResourceDirectory, script);
        if (context.Files.IsExecutable(user))
        {
            bool stock = wrapper is not null && context.Files.Sha256(user) is { } hash && ResourceWrappers.IsStockCopy(script, hash);
            if (!stock)
            {
                return new ResolvedScript(ScriptSource.ResourceDirectory, user, null);
            }
        }

        if (wrapper is not null)
        {
            return new ResolvedScript(ScriptSource.NativeWrapper, null, wrapper);
        }

        string init = Path.Join(context.InitDirectory, script);
        return context.Files.IsExecutable(init)
            ? new ResolvedScript(ScriptSource.InitDirectory, init, null)
            : new ResolvedScript(ScriptSource.None, null, null);
    }
}
