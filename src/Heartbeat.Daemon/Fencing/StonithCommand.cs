using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;

namespace Heartbeat.Daemon.Fencing;

/// <summary>
/// The command lines of cluster-glue's <c>stonith</c> for a device, and what its exit code means. 3.0.6 linked the
/// library and called stonith_set_config_info (the parameters in the order the plugin names them) or
/// stonith_set_config_file; the command's <c>-p</c> and <c>-F</c> are exactly those calls.
/// </summary>
public static class StonithCommand
{
    /// <summary>Debian's cluster-glue installs it here.</summary>
    public const string DefaultPath = "/usr/sbin/stonith";

    /// <summary>S_BADHOST in cluster-glue's stonith.h: the command exits with the plugin's return code.</summary>
    private const int BadHostExit = 4;

    /// <summary><c>-t TYPE -p PARAMS</c> or <c>-t TYPE -F FILE</c>.</summary>
    public static List<string> DeviceArguments(StonithDevice device)
    {
        List<string> arguments = ["-t", device.Type];
        if (device.ConfigFile is { } file)
        {
            arguments.AddRange(["-F", file]);
        }
        else
        {
            arguments.AddRange(["-p", device.Parameters ?? string.Empty]);
        }

        return arguments;
    }

    /// <summary>Reset <paramref name="node"/> (3.0.6: stonith_req_reset with ST_GENERIC_RESET).</summary>
    public static List<string> ResetArguments(StonithDevice device, string node)
    {
        var arguments = DeviceArguments(device);
        arguments.AddRange(["-T", "reset", node]);
        return arguments;
    }

    /// <summary>The device's status (3.0.6 checks it at start and every hour: stonith_get_status).</summary>
    public static List<string> StatusArguments(StonithDevice device)
    {
        var arguments = DeviceArguments(device);
        arguments.Add("-S");
        return arguments;
    }

    /// <summary>The result 3.0.6's Initiate_Reset makes of the plugin's return: S_OK, S_BADHOST, anything else.</summary>
    public static FenceResult Classify(int exitCode, bool timedOut) => timedOut ? FenceResult.Bad : exitCode switch
    {
        0 => FenceResult.Ok,
        BadHostExit => FenceResult.BadHost,
        _ => FenceResult.Bad,
    };
}
