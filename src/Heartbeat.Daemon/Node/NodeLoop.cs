using System.Runtime.InteropServices;
using Heartbeat.Daemon.Config;
using Heartbeat.Daemon.Control;
using Heartbeat.Daemon.Fencing;
using Heartbeat.Daemon.Logging;
using Heartbeat.Machine;
using Heartbeat.Daemon.Media;
using Heartbeat.Daemon.Ping;
using Heartbeat.Daemon.Metrics;
using Heartbeat.Daemon.Resources;
using Heartbeat.Daemon.Respawn;
using Heartbeat.Daemon.State;
using Heartbeat.Daemon.Systemd;
using Heartbeat.Daemon.Threads;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// The I/O shell around the pure <see cref="ClusterNode"/>: opens the media, feeds the node every received datagram and
/// a tick at each of its deadlines on one thread of its own, carries out what it decides (NodeLoop.Outputs.cs: group
/// actions, datagrams on every medium, log lines, rc.d hooks) and tells systemd READY, STATUS and WATCHDOG. On stop the
/// node leaves gracefully (groups stopped, then <c>shutdone</c>, so peers take over at once instead of waiting for the
/// deadtime). Its parts: the inputs (NodeLoop.Inputs.cs), the group worker and the VIP watch (Resources/), the control
/// desk and the status (Control/), the reloader (Config/), the event log (Logging/), the heap trimmer and the load
/// average (here). Threads: everything runs on the loop thread except <see cref="StopAsync"/> (the host's),
/// <see cref="WakeLoop"/> (any producer) and what the parts name.
/// </summary>
public sealed partial class NodeLoop : BackgroundService
{
    private static readonly TimeSpan CountersInterval = TimeSpan.FromMinutes(1);

    private readonly DaemonSettings _settings;
    private readonly ClusterConfig _config;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly LeftoverCleanupService _leftovers;
    private readonly ResourceExecutor _executor;
    private readonly ScriptSettings _scripts;
    private readonly ILogger<NodeLoop> _logger;

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly LoopCounters _counters = new();
    private readonly GroupStates _groupStates;
    private readonly GroupWorker _groupWorker;
    private readonly VipWatch _vipWatch;
    private readonly MembershipEventLog _eventLog;
    private readonly HeapTrimmer _trimmer;
    private readonly LoadAverage _loadAverage = new();
    private readonly RespawnRunner _respawn;
    private readonly NodeMetrics _metrics;

    /// <summary>The reload a SIGHUP or hbctl asks for (applied on this loop).</summary>
    private readonly ConfigReloader _reloader;

    private readonly FenceRunner _fences;

    private RcHookRunner? _hooks;

    /// <summary>Set by <see cref="StopAsync"/> (the host's thread); read by the loop and the VIP checks.</summary>
    private volatile bool _leaving;

    // Something shown in systemd's STATUS= line may have changed since it was last built (loop thread only).
    private bool _summaryStale = true;

    public NodeLoop(DaemonSettings settings, ClusterConfig config, TimeProvider time, IHostApplicationLifetime lifetime, LeftoverCleanupService leftovers, ResourceExecutor executor, ScriptSettings scripts, Protocol.Metrics.MetricBoard metrics, ILogger<NodeLoop> logger)
    {
        _settings = settings;
        _config = config;
        _time = time;
        _lifetime = lifetime;
        _leftovers = leftovers;
        _executor = executor;
        _scripts = scripts;
        _logger = logger;

        // Made once: other threads wake the loop through it (group results, VIP checks, control requests, SIGHUP).
        Action wake = () => WakeLoop(LoopInput.Wake);
        _groupStates = new GroupStates(time, logger);
        _groupWorker = new GroupWorker(executor, settings.NodeName, time, wake, logger);
        _vipWatch = new VipWatch(() => _leaving, wake, logger);
        _eventLog = new MembershipEventLog(logger);
        _trimmer = new HeapTrimmer(logger);
        _reloader = new ConfigReloader(settings, config, wake, logger);
        _respawn = new RespawnRunner(config.HaCf.Respawns, time, logger);
        _fences = new FenceRunner(settings.StonithPath, wake, logger);
        _metrics = new NodeMetrics(metrics);
        Desk = new ControlDesk(wake, _reloader, new StatusBuilder(settings, config, _reloader, _groupStates, _counters, _respawn, _fences), _counters.Allocations, logger);
    }

    /// <summary>Why the daemon could not run (a medium or a state file), or null; the process then exits with 1.</summary>
    public string? StartupError { get; private set; }

    /// <summary>Where the control socket hands its requests (answered on this loop).</summary>
    public ControlDesk Desk { get; }

    /// <summary>SIGHUP (heartbeat -r, systemctl reload): the loop reloads on its next turn (see <see cref="ConfigReloader.Request"/>).</summary>
    public void RequestReload() => _reloader.Request();

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Ask the loop for a graceful leave (groups stopped, shutdone), then let the host cancel it; resource scripts
        // may take a while, so the wait is bounded by the host's shutdown timeout only. A flag, not a queued input: a
        // flood that fills the input queue must not swallow the stop (the loop sees the flag at its next tick).
        _leaving = true;
        _wakeup.Signal();
        await Task.WhenAny(_stopped.Task, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // The cluster loop gets a thread of its own (it blocks between inputs instead of awaiting them), so a
            // heartbeat or a deadline wakes it directly rather than through the thread pool.
            await Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MediumException or StateFileException or IOException or UnauthorizedAccessException)
        {
            // A clear one-line reason instead of a stack trace, and a non-zero exit (see Program.Run).
            StartupError = ex.Message;
            MembershipLog.CannotStart(_logger, ex.Message);
            _lifetime.StopApplication();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var haCf = _config.HaCf;
        var realtime = new RealtimeThreads(haCf.Realtime && !_settings.NormalPriority, haCf.RealtimePriority, _logger);
        realtime.Enter("cluster loop");
        var files = new NodeStateFiles(_settings.StateDirectory);
        files.EnsureDirectory();
        var uuid = files.LoadOrCreateUuid(haCf.UuidSource, _settings.NodeName, out bool created);
        if (created)
        {
            MembershipLog.UuidCreated(_logger, uuid.ToString(), files.UuidPath);
        }

        ulong generation = files.NextGeneration(haCf.GenerationMethod, _time.GetUtcNow());
        MembershipLog.Starting(_logger, typeof(NodeLoop).Assembly.GetName().Version?.ToString() ?? "?", _settings.NodeName, uuid.ToString(), generation);

        using var media = MediaSet.Open(haCf.Media);
        _counters.Media = media;
        foreach (var sender in media.Senders)
        {
            MembershipLog.MediumOpen(_logger, sender.Medium.Describe(), sender.Destination.ToString());
        }

        foreach (var receiver in media.Receivers)
        {
            MembershipLog.Listening(_logger, receiver.Description);
        }

        using var ping = PingSockets.Open(haCf.PingNodes);
        foreach (string described in ping.Described)
        {
            PingLog.Started(_logger, described);
        }

        var node = new ClusterNode(
            _config,
            new LocalIdentity(_settings.NodeName, uuid, generation),
            _time,
            new Random(),
            _loadAverage.Read,
            _loadAverage.Write,
            _settings.Fencing);
        var engine = node.Membership; // for reading only: every input goes to the node
        Desk.Open();
        CheckStonithDevice(node);

        await using var hooks = new RcHookRunner(Path.Join(_settings.ConfigDirectory, "rc.d"), _scripts, _logger);
        _hooks = hooks;
        if (node.NegotiatesResources)
        {
            node.AdoptLeftovers(_leftovers.KeptGroups);

            // Sockets open and placements resolved now, so a takeover is a netlink request and two frames away.
            _executor.Prepare();
            _vipWatch.Watch(_executor, haCf.Keepalive, node.Now);
        }
        else
        {
            MembershipLog.PlannerNeedsTwoNodes(_logger, haCf.Nodes.Length);
        }

        using var loopCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        OpenPollSet(media, ping);

        using var wakeOnStop = stoppingToken.UnsafeRegister(static wakeup => ((LoopWakeup)wakeup!).Signal(), _wakeup);
        _groupWorker.Start(hooks, realtime);

        using var systemd = SystemdNotifier.FromEnvironment();
        _reloader.Start(systemd, ConfigDirectory.Read(_settings.ConfigDirectory));
        var nextWatchdog = TimeSpan.Zero;
        string? lastSummary = null;
        var nextCounters = engine.Now + CountersInterval;
        bool leaveStarted = false;

        // The first keepalives go out once everything is set up (hooks, planner, resource sockets, threads), right
        // before the loop's first turn: set-up can take a while on a loaded machine (seen: ~1 s), and a peer that had
        // heard our first status would be timing a silence our own stall guard then reported as a pause.
        _metrics.Register(node, _config, media, _counters, _groupStates, _reloader, _executor, typeof(NodeLoop).Assembly.GetName().Version?.ToString(3) ?? "0");
        node.Start();
        string lastStatus = engine.LocalStatus;
        MembershipLog.LocalStatus(_logger, lastStatus);
        Flush(node, media);

        // The hardware watchdog is armed only now, right before the try whose finally disarms it: a start that fails
        // in its set-up (config, sockets, threads) exits without arming it, instead of rebooting the machine a
        // deadtime later (3.0.6 too opens it after its own set-up).
        OpenHardwareWatchdog();
        _counters.Allocations.Start();
        try
        {
            while (true)
            {
                var due = nextCounters;
                due = Earlier(due, systemd.WatchdogInterval is null ? TimeSpan.MaxValue : nextWatchdog);
                due = Earlier(due, _vipWatch.NextPoll);
                due = Earlier(due, NextFeed);
                var input = NextInput(node, due, stoppingToken);
                switch (input.Kind)
                {
                    case LoopInputKind.Datagram:
                        node.Receive(input.Datagram.Bytes, input.Datagram.Interface);
                        input.Datagram.Return(); // the engine keeps nothing of it: decoded messages own copies
                        break;
                    case LoopInputKind.Tick:
                        node.Tick();
                        break;
                    case LoopInputKind.Echo:
                        node.ReceiveEcho(ping.Received, input.Ipv6);
                        break;
                }

                if (_leaving && !leaveStarted)
                {
                    leaveStarted = true;
                    systemd.Notify("STOPPING=1", SystemdNotifier.StatusLine("leaving: stopping resource groups, then shutdone"));
                    MembershipLog.ShuttingDown(_logger);

                    // The resource report (info=shutdown) and every group stopped, then shutdone (the node sends it).
                    node.BeginLeave();
                }

                TakeGroupResults(node);
                TakeFenceResults(node);
                _summaryStale |= Desk.Answer(node);
                _reloader.ReloadIfRequested(node);

                if (!_vipWatch.NoteAddressChanges(engine.Now))
                {
                    _pollSet[^1].Fd = -1; // the subscription broke: the VIP watch checks every keepalive instead
                }

                if (_vipWatch.TakeCheckRequest())
                {
                    _vipWatch.CheckHeldAddresses(node.Held, _executor);
                }

                // Every turn, not only after a datagram or a tick: besides its timers the planner hands over failed
                // groups once the state allows it, and whatever changed the state woke the loop.
                Flush(node, media);
                if (engine.LocalStatus != lastStatus)
                {
                    lastStatus = engine.LocalStatus;
                    MembershipLog.LocalStatus(_logger, lastStatus);
                    if (lastStatus == NodeStatus.Active && !leaveStarted)
                    {
                        // Type=notify: ready once communication is up (3.0.6's "Comm_now_up"), which also starts the
                        // respawn children.
                        lastSummary = Summary(node);
                        systemd.Notify("READY=1", SystemdNotifier.StatusLine(lastSummary));
                        _respawn.CommunicationUp();
                    }
                }

                FeedHardwareWatchdog(engine.Now);

                // The watchdog is fed from this loop and nowhere else: a loop that stops turning gets the process killed.
                if (systemd.WatchdogInterval is { } watchdog && engine.Now >= nextWatchdog)
                {
                    nextWatchdog = engine.Now + watchdog;
                    systemd.NotifyWatchdog();
                }

                // Rebuilt only after something it shows may have changed (a membership event, a planner command, a
                // group's result, a control request): a fresh string every keepalive tick would be the loop's only
                // garbage under systemd.
                if (_summaryStale && systemd.Enabled && !leaveStarted && lastStatus == NodeStatus.Active)
                {
                    _summaryStale = false;
                    string summary = Summary(node);
                    if (summary != lastSummary)
                    {
                        lastSummary = summary;
                        systemd.Notify(SystemdNotifier.StatusLine(summary));
                    }
                }

                _metrics.PublishIfDue(engine.Now);
                if (engine.Now >= nextCounters)
                {
                    nextCounters = engine.Now + CountersInterval;
                    _eventLog.LogCounters(engine, _counters.Allocations);
                    TrimMemoryIfDue(node);
                }
                else if (!_trimmer.FirstTrimDone && node.StartupOver && _groupWorker.IsIdle)
                {
                    // The first trim ends the start-up rather than waiting for the first minute: the start-up's garbage
                    // goes as soon as it is garbage, and the daemon at rest does not pay a collection later.
                    TrimMemoryIfDue(node);
                }

                // After a leave: shutdone went out and its grace (for copies and retransmissions) is over.
                if (node.MayExit)
                {
                    break;
                }

            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown without the graceful path (second signal or timeout).
        }
        finally
        {
            CloseHardwareWatchdog(orderly: node.MayExit || stoppingToken.IsCancellationRequested);
            Desk.Close();
            _eventLog.LogCounters(engine, _counters.Allocations);
            await loopCancel.CancelAsync().ConfigureAwait(false);
            media.Dispose();
            _vipWatch.Dispose();
            _groupWorker.Complete();
            await Task.Run(_groupWorker.Join).ConfigureAwait(false);

            // 3.0.6 kills its managed children once the resources are relinquished.
            await _respawn.DisposeAsync().ConfigureAwait(false);
            MembershipLog.ShutdownComplete(_logger);
        }
    }

    private string Summary(ClusterNode node) => StatusSummary.Build(node, _config.Resources.Groups.Length);

    /// <summary>The heap is trimmed (see <see cref="HeapTrimmer"/>) unless groups are moving.</summary>
    private void TrimMemoryIfDue(ClusterNode node) => _trimmer.TrimIfDue(node.InTransition || node.GroupRequestsOutstanding > 0);
}
