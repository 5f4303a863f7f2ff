using System.Globalization;
using Heartbeat.Daemon.Config;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Daemon;

/// <summary>
/// Entry point of the <c>heartbeat</c> executable. This stage provides the 3.0.6 flags that need no running
/// cluster (-V, -D) and the configuration check every start performs (exit 6, LSB "not configured", like 3.0.6).
/// </summary>
public static class Program
{
    /// <summary>3.0.6 exits with 6 when a configuration check fails.</summary>
    public const int ExitNotConfigured = 6;

    public static int Main(string[] args)
    {
        string configDir = ConfigDirectory.Default;
        string? node = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-V" or "--version":
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HeartbeatNet {typeof(Program).Assembly.GetName().Version} (wire-compatible with Heartbeat 3.0.6)"));
                    return 0;
                case "-D":
                    PrintDefaults();
                    return 0;
                case "--config-dir" when i + 1 < args.Length:
                    configDir = args[++i];
                    break;
                case "--node" when i + 1 < args.Length:
                    node = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"heartbeat: unknown option '{args[i]}' (supported: -V, -D, --config-dir DIR, --node NAME)");
                    return 2;
            }
        }

        var check = ConfigDirectory.Load(configDir, new SystemHostFacts(), node);
        foreach (var diagnostic in check.Diagnostics)
        {
            Console.Error.WriteLine(diagnostic.ToString());
        }

        if (check.HasErrors)
        {
            Console.Error.WriteLine("Configuration error, heartbeat not started.");
            return ExitNotConfigured;
        }

        Console.Error.WriteLine("heartbeat: configuration valid; cluster membership is not part of this build yet (issue [2/8])");
        return 1;
    }

    /// <summary><c>heartbeat -D</c>: the built-in defaults, one directive per line, from the directive table.</summary>
    private static void PrintDefaults()
    {
        foreach (var directive in HaCfDirectives.All)
        {
            Console.WriteLine($"{directive.Name,-24} {directive.Default}");
        }
    }
}
