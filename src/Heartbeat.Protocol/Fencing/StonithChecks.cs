using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Fencing;

/// <summary>What cluster-glue on a machine offers: its plugin types and each type's parameter names.</summary>
public interface IStonithCatalog
{
    /// <summary><c>stonith -L</c>; null when the stonith command is not installed.</summary>
    IReadOnlyCollection<string>? Types { get; }

    /// <summary><c>stonith -t TYPE -n</c>: the names of the parameters, in the order <c>-p</c> takes their values.</summary>
    IReadOnlyList<string> ParameterNames(string type);

    /// <summary>Whether a stonith configuration file exists.</summary>
    bool FileExists(string path);
}

/// <summary>
/// check-config's STONITH checks: what 3.0.6 refuses at start (set_stonith_host_info: "Invalid Stonith type",
/// "Invalid Stonith configuration parameter") and what would make every reset fail.
/// </summary>
public static class StonithChecks
{
    public static IEnumerable<ConfigDiagnostic> Check(IReadOnlyList<StonithDevice> devices, string path, IStonithCatalog catalog)
    {
        var bag = new DiagnosticBag(path);
        if (devices.Count == 0)
        {
            return bag.Items;
        }

        if (catalog.Types is not { } types)
        {
            bag.Error(devices[0].Line, "cluster-glue's stonith command is not installed: no node can be reset, so no dead node's groups would ever be taken", "install cluster-glue (Debian's heartbeat package depends on it)");
            return bag.Items;
        }

        foreach (var device in devices)
        {
            if (!types.Contains(device.Type))
            {
                bag.Error(device.Line, $"Invalid Stonith type [{device.Type}]", "stonith -L lists the types installed on this machine");
                continue;
            }

            if (device.ConfigFile is { } file)
            {
                if (!catalog.FileExists(file))
                {
                    bag.Error(device.Line, $"Invalid Stonith config file [{file}]: it does not exist");
                }

                continue;
            }

            var names = catalog.ParameterNames(device.Type);
            int given = (device.Parameters ?? string.Empty).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Length;
            if (given < names.Count)
            {
                bag.Error(device.Line, $"Invalid Stonith configuration parameter [{device.Parameters}]: {device.Type} takes {names.Count} value(s) in this order: {string.Join(' ', names)}; {given} given", "stonith_host takes the values only, separated by blanks (stonith -t TYPE -n names them)");
            }
        }

        return bag.Items;
    }
}
