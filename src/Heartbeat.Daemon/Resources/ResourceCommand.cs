using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Net;
using Heartbeat.Protocol.Config;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// <c>heartbeat resource …</c>: the verbs of Heartbeat's ResourceManager script (takegroup, givegroup, status,
/// listkeys), run once in the caller's network namespace, for admins and for tests of the resource engine.
/// </summary>
public static class ResourceCommand
{
    public const int ExitNotRunning = 3;

    public static int Run(DaemonSettings settings, ClusterConfig config)
    {
        using var loggers = LoggerFactory.Create(builder =>
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            });
            builder.SetMinimumLevel(LogLevel.Information);
        });
        var logger = loggers.CreateLogger("heartbeat.resource");
        var executor = Create(settings, config, Scripts(settings, config), logger);
        string argument = settings.ResourceArgument!;
        if (settings.ResourceVerb == "listkeys")
        {
            foreach (var group in executor.Groups.Where(g => string.Equals(g.Node, argument, StringComparison.OrdinalIgnoreCase)))
            {
                Console.WriteLine(group.Key);
            }

            return 0;
        }

        if (!executor.HasGroup(argument))
        {
            Console.Error.WriteLine($"heartbeat: no group with key '{argument}' in haresources (keys: {string.Join(", ", executor.Groups.Select(g => g.Key))})");
            return 1;
        }

        switch (settings.ResourceVerb)
        {
            case "hold":
                return Hold(executor, argument, config.HaCf.Keepalive, logger);
            case "takegroup":
                int code = Report(executor.TakeGroupAsync(argument, CancellationToken.None).GetAwaiter().GetResult());

                // A one-shot command stays until its announcements are out.
                Task.WaitAll([.. executor.AddressesOf(argument).Select(a => a.Announcing)]);
                return code;
            case "givegroup":
                return Report(executor.GiveGroupAsync(argument, CancellationToken.None).GetAwaiter().GetResult());
            default:
                bool running = executor.IsGroupRunningAsync(argument, CancellationToken.None).GetAwaiter().GetResult();
                Console.WriteLine(running ? "running" : "stopped");
                return running ? 0 : ExitNotRunning;
        }
    }

    public static ResourceExecutor Create(DaemonSettings settings, ClusterConfig config, ScriptSettings scripts, ILogger logger) =>
        new(config.Resources, scripts, new ArpAnnouncement(settings.ArpCount, settings.ArpInterval), logger);

    /// <summary>Where resource scripts are and the environment 3.0.6 gives them (also the rc.d hooks' base environment).</summary>
    public static ScriptSettings Scripts(DaemonSettings settings, ClusterConfig config)
    {
        string haCfPath = Path.Join(settings.ConfigDirectory, "ha.cf");
        var environment = new Dictionary<string, string>(
            File.Exists(haCfPath) ? ScriptEnvironment.FromHaCf(File.ReadAllBytes(haCfPath)) : new Dictionary<string, string>(),
            StringComparer.Ordinal);
        foreach (var (name, value) in new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HA_CURHOST"] = settings.NodeName,
            ["HA_DIR"] = settings.ConfigDirectory,
            ["HA_RCDIR"] = Path.Join(settings.ConfigDirectory, "rc.d"),
            ["HA_RESOURCEDIR"] = Path.Join(settings.ConfigDirectory, "resource.d"),
            ["HA_FUNCS"] = Path.Join(settings.ConfigDirectory, "shellfuncs"),
            ["OCF_ROOT"] = "/usr/lib/ocf",
        })
        {
            environment[name] = value;
        }

        foreach (var (name, value) in config.HaCf.Environment)
        {
            environment["HA_" + name] = value;
        }

        return new ScriptSettings
        {
            ResourceDirectory = Path.Join(settings.ConfigDirectory, "resource.d"),
            Timeout = settings.ScriptTimeout,
            Environment = environment,
        };
    }

    /// <summary>
    /// <c>hold KEY</c>: take the group, keep its VIPs in place (restoring one that vanishes) until SIGTERM or SIGINT,
    /// then give the group up, so nothing is left behind.
    /// </summary>
    private static int Hold(ResourceExecutor executor, string key, TimeSpan keepalive, ILogger logger)
    {
        using var stop = new CancellationTokenSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        var taken = executor.TakeGroupAsync(key, CancellationToken.None).GetAwaiter().GetResult();
        if (Report(taken) != 0)
        {
            return 1;
        }

        ResourceLog.Holding(logger, key, (long)keepalive.TotalMilliseconds);
        new VipMonitor(executor.AddressesOf(key), logger).RunAsync(keepalive, stop.Token).GetAwaiter().GetResult();
        return Report(executor.GiveGroupAsync(key, CancellationToken.None).GetAwaiter().GetResult());
    }

    private static int Report(GroupOutcome outcome)
    {
        Console.WriteLine($"{outcome.Group}: {(outcome.Success ? "ok" : "FAILED")}: {outcome.Reason}");
        return outcome.Success ? 0 : 1;
    }
}
