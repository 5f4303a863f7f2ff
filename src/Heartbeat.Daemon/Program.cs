using System.Globalization;
using System.Runtime.InteropServices;
using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Node;
using Heartbeat.Daemon.State;
using Heartbeat.Machine;
using Heartbeat.Protocol.Config;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon;

/// <summary>
/// Entry point of the <c>heartbeat</c> executable: 3.0.6's flags (<c>-s</c> status, <c>-k</c> stop, <c>-r</c> reload,
/// <c>-V</c>, <c>-D</c>, <c>-d</c> debug, <c>-l</c> accepted) plus options for containers and tests, then the daemon
/// in the foreground under a Generic Host.
/// </summary>
public static class Program
{
    /// <summary>3.0.6 exits with 6 when a configuration check fails.</summary>
    public const int ExitNotConfigured = 6;

    /// <summary>LSB status code "program is not running", what <c>heartbeat -s</c> returns then.</summary>
    public const int ExitStatusStopped = 3;

    public const int ExitUsage = 2;

    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(60);

    public static int Main(string[] args)
    {
        if (!CommandLine.TryParse(args, out var command, out string? error))
        {
            Console.Error.WriteLine($"heartbeat: {error}");
            Console.Error.WriteLine(CommandLine.Usage);
            return ExitUsage;
        }

        var settings = command.Settings;
        var pidFile = new PidFile(settings.PidFilePath);
        switch (command.Action)
        {
            case DaemonAction.Version:
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HeartbeatNet {typeof(Program).Assembly.GetName().Version} (wire-compatible with Heartbeat 3.0.6)"));
                return 0;
            case DaemonAction.Defaults:
                PrintDefaults();
                return 0;
            case DaemonAction.Help:
                Console.WriteLine(CommandLine.Usage);
                return 0;
            case DaemonAction.Status:
                return Status(pidFile, settings);
            case DaemonAction.Stop:
                return Stop(pidFile);
            case DaemonAction.Reload:
                return Signal(pidFile, Interop.Kill.SigHup, "reload");
        }

        var check = ConfigDirectory.Load(settings.ConfigDirectory, new SystemHostFacts(), settings.NodeName);
        foreach (var diagnostic in check.Diagnostics)
        {
            // `heartbeat resource` is what /usr/share/heartbeat/ResourceManager runs, inside monitoring checks and
            // scripts: like 3.0.6's script it says nothing about the configuration unless it cannot run (the warnings
            // are check-config's and the daemon start's to say).
            if (command.Action != DaemonAction.Resource || diagnostic.Severity == DiagnosticSeverity.Error)
            {
                Console.Error.WriteLine(diagnostic.ToString());
            }
        }

        if (check.HasErrors || check.Config is null)
        {
            Console.Error.WriteLine("Configuration error, heartbeat not started.");
            return ExitNotConfigured;
        }

        if (command.Action == DaemonAction.Resource)
        {
            return Resources.ResourceCommand.Run(settings, check.Config);
        }

        if (pidFile.FindRunning() is { } running)
        {
            Console.Error.WriteLine($"heartbeat: already running [pid {running}] ({pidFile.Path})");
            return 1;
        }

        return Run(settings, check.Config);
    }

    private static int Run(DaemonSettings settings, ClusterConfig config)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = "/" });
        builder.Logging.ClearProviders();

        // Serilog carries every entry to its sinks (journald or stderr, plus ha.cf's logfile and debugfile).
        // The event stream (hbctl events) is fed from the log, so its names are the journal's HB_EVENT names.
        var events = new Protocol.Events.EventRing();
        Serilog.SerilogLoggingBuilderExtensions.AddSerilog(builder.Logging, Logging.DaemonLogging.Create(settings, config.HaCf, events), dispose: true);
        ClosedServices.Register(builder.Services, TimeSpan.FromMinutes(5), settings.DebugLevel > 0 ? LogLevel.Debug : LogLevel.Information);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(TimeProvider.System);

        // Built once and shared: start-up reconciliation, the planner's executor and the rc.d hooks see the same
        // script environment (read from ha.cf once) and the same record of addresses being announced.
        builder.Services.AddSingleton(Resources.ResourceCommand.Scripts(settings, config));
        builder.Services.AddSingleton(sp => Resources.ResourceCommand.Create(settings, config, sp.GetRequiredService<Resources.ScriptSettings>(), sp.GetRequiredService<ILogger<Resources.ResourceExecutor>>()));
        builder.Services.AddSingleton<Resources.LeftoverCleanupService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Resources.LeftoverCleanupService>());
        builder.Services.AddSingleton<NodeLoop>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeLoop>());
        builder.Services.AddSingleton(sp => sp.GetRequiredService<NodeLoop>().Desk);
        builder.Services.AddHostedService<Control.ControlSocketService>();

        // Metrics: published by the loop, rendered for hbctl metrics and, when --metrics-listen says where, over HTTP.
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton(new Protocol.Metrics.MetricBoard());
        builder.Services.AddHostedService<Metrics.MetricsListener>();
        using var host = builder.Build();

        var loop = host.Services.GetRequiredService<NodeLoop>();
        // An ignored SIGHUP is inherited across exec (nohup, some init scripts), and .NET keeps a signal that was ignored
        // at start ignored even when a handler is registered: take the default back first, as 3.0.6 installs its own
        // handler whatever it inherited, so that reload by signal always works.
        Interop.SignalDefaultCall.Reset(Interop.Kill.SigHup);
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // SIGHUP (heartbeat -r, systemctl reload): validate, then apply what can change in place (see hbctl reload);
            // the loop does it and logs the outcome.
            context.Cancel = true;
            loop.RequestReload();
        });

        var pidFile = new PidFile(settings.PidFilePath);
        pidFile.Write(Environment.ProcessId);
        try
        {
            host.Run();
            return loop.StartupError is null ? 0 : 1;
        }
        finally
        {
            pidFile.Remove(Environment.ProcessId);
        }
    }

    /// <summary><c>heartbeat -s</c>: 3.0.6's wording and LSB status codes (0 running, 3 stopped).</summary>
    private static int Status(PidFile pidFile, DaemonSettings settings)
    {
        if (pidFile.FindRunning() is { } pid)
        {
            Console.WriteLine($"heartbeat OK [pid {pid} et al] is running on {settings.NodeName} [{settings.NodeName}]...");
            return 0;
        }

        Console.WriteLine("heartbeat is stopped. No process");
        return ExitStatusStopped;
    }

    /// <summary><c>heartbeat -k</c>: SIGTERM to the running daemon, then wait until it has left the cluster and exited.</summary>
    private static int Stop(PidFile pidFile)
    {
        if (pidFile.FindRunning() is not { } pid)
        {
            // Stopping a stopped service succeeds (LSB), with a word for the admin.
            Console.Error.WriteLine("heartbeat: no running heartbeat found");
            return 0;
        }

        if (Interop.Kill.Send(pid, Interop.Kill.SigTerm) != 0)
        {
            Console.Error.WriteLine($"heartbeat: cannot signal pid {pid}: {Marshal.GetLastPInvokeErrorMessage()}");
            return 1;
        }

        var deadline = DateTime.UtcNow + StopWait;
        while (DateTime.UtcNow < deadline)
        {
            // Done when the process is gone, not merely when its pid file is: it removes the file just before it exits.
            if (!PidFile.IsAlive(pid))
            {
                return 0;
            }

            Thread.Sleep(100);
        }

        Console.Error.WriteLine($"heartbeat: pid {pid} did not stop within {StopWait.TotalSeconds} s");
        return 1;
    }

    private static int Signal(PidFile pidFile, int signal, string what)
    {
        if (pidFile.FindRunning() is not { } pid)
        {
            Console.Error.WriteLine($"heartbeat: no running heartbeat to {what}");
            return 1;
        }

        return Interop.Kill.Send(pid, signal) == 0 ? 0 : 1;
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
