using Heartbeat.Daemon.Logging;
using Heartbeat.Machine;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Config;

/// <summary>
/// The configuration a running node uses: the files it came from and what was loaded from them, swapped as one by a
/// reload that applied something.
/// </summary>
/// <param name="Files">The files last applied (compared at a reload); null until the loop has read them at its start.</param>
/// <param name="Config">The configuration last applied. Only timers and keys can differ from the start-up's (anything
/// else is refused), and the status names the key's method and index from here, never the secret.</param>
internal sealed record RunningConfig(ConfigFiles? Files, ClusterConfig Config);

/// <summary>
/// Reload (SIGHUP, <c>heartbeat -r</c>, <c>hbctl reload</c>): validate, then apply. Threads: <see cref="Request"/> is
/// called by the SIGHUP handler (a flag and a wake-up); everything else runs on the loop thread, which alone reads and
/// swaps <see cref="Running"/>.
/// </summary>
internal sealed class ConfigReloader(DaemonSettings settings, ClusterConfig config, Action wakeLoop, ILogger logger)
{
    private int _reloadRequested;
    private Systemd.SystemdNotifier? _systemd;

    /// <summary>The running configuration (loop thread only).</summary>
    /// <summary>Reloads applied in place (loop thread; for the metrics).</summary>
    public long Applied { get; private set; }

    /// <summary>Reloads refused: errors in the files, or changes that need a restart (loop thread; for the metrics).</summary>
    public long Refused { get; private set; }

    public RunningConfig Running { get; private set; } = new(null, config);

    /// <summary>The loop has started: the files the running configuration came from, and where RELOADING/READY go.</summary>
    public void Start(Systemd.SystemdNotifier systemd, ConfigFiles files)
    {
        _systemd = systemd;
        Running = Running with { Files = files };
    }

    /// <summary>
    /// SIGHUP (heartbeat -r, systemctl reload): a flag and a wake-up, nothing else, so the signal's handler needs no
    /// task, continuation or queue slot; the loop reloads on its next turn and logs the outcome itself.
    /// </summary>
    public void Request()
    {
        Volatile.Write(ref _reloadRequested, 1);
        wakeLoop();
    }

    /// <summary>Reloads on the loop turn after a SIGHUP.</summary>
    public void ReloadIfRequested(ClusterNode node)
    {
        if (Interlocked.Exchange(ref _reloadRequested, 0) != 0)
        {
            var result = Reload(node, dryRun: false);
            MembershipLog.ReloadResult(logger, result.Ok ? result.Message ?? "done" : result.Error ?? "refused");
        }
    }

    /// <summary>
    /// Validate, then apply: the files are read and checked first; any error keeps the running configuration and says
    /// why (file:line). A change only to timers or keys is applied in place (no resource moves); anything else needs a
    /// restart, which is refused with the changes named rather than done behind the operator's back (3.0.6 restarts).
    /// </summary>
    public ControlResponse Reload(ClusterNode node, bool dryRun)
    {
        var files = ConfigDirectory.Read(settings.ConfigDirectory);
        var check = ClusterConfigLoader.Load(files, new SystemHostFacts(), settings.NodeName);
        var errors = check.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        if (check.Config is null || errors.Count > 0)
        {
            foreach (string error in errors)
            {
                MembershipLog.ConfigDiagnostic(logger, error);
            }

            MembershipLog.ReloadRefused(logger, "the files have errors", errors.Count);
            Refused++;
            return ControlResponse.Refused("the new configuration has errors; the running one stays:\n" + string.Join('\n', errors));
        }

        var plan = ReloadPlan.Compare(Running.Files ?? files, files);
        if (plan.NothingChanged)
        {
            return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: "nothing changed");
        }

        if (!plan.CanApply)
        {
            MembershipLog.ReloadRefused(logger, "changes need a restart: " + string.Join("; ", plan.NeedRestart), plan.NeedRestart.Count);
            Refused++;
            return ControlResponse.Refused("these changes need a restart (the peer takes over meanwhile); nothing was applied:\n" + string.Join('\n', plan.NeedRestart));
        }

        if (dryRun)
        {
            return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: "would apply in place:\n" + string.Join('\n', plan.Changes));
        }

        _systemd?.Notify("RELOADING=1");
        node.Reconfigure(MembershipOptions.FromConfig(check.Config.HaCf), new Protocol.Auth.Authenticator(check.Config.AuthKeys));
        Running = new RunningConfig(files, check.Config);
        foreach (string change in plan.Changes)
        {
            MembershipLog.ReloadApplied(logger, change);
        }

        _systemd?.Notify("READY=1");
        Applied++;
        return new ControlResponse(ControlRequest.CurrentVersion, Ok: true, Message: "applied in place, no resource moved:\n" + string.Join('\n', plan.Changes));
    }
}
