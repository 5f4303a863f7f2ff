using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Heartbeat.Daemon.Interop;
using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Media;
using Heartbeat.Daemon.Net;
using Heartbeat.Daemon.State;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Resources;
using Heartbeat.Daemon.Resources;
using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Daemon.Membership;

/// <summary>
/// The I/O loop around <see cref="MembershipEngine"/>: opens the media, feeds the engine every received datagram and a
/// tick at each of its deadlines on one thread, puts what it emits on every medium and logs its events. On stop it sends
/// <c>shutdone</c> so peers take over at once instead of waiting for the deadtime.
/// </summary>
public sealed partial class MembershipService(DaemonSettings settings, ClusterConfig config, TimeProvider time, IHostApplicationLifetime lifetime, LeftoverCleanupService leftovers, ResourceExecutor executor, ScriptSettings scripts, ILogger<MembershipService> logger) : BackgroundService
{
    /// <summary>
    /// The longest the loop sleeps without a deadline. There is no regular tick: the engine's deadlines (never later
    /// than the next keepalive), the planner's timers, the watchdog and the counters log say when to wake, and every
    /// other input wakes the loop itself. Every wake-up of an idle daemon costs CPU; 3.0.6 polls every 250 ms.
    /// </summary>
    private static readonly TimeSpan LongestSleep = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest a read of the address notifications may block: the loop reads only after poll(2) reported them, so
    /// this bounds a spurious report only.
    /// </summary>
    private static readonly TimeSpan AddressReadWait = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan CountersInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RejectLogInterval = TimeSpan.FromSeconds(5);

    // Writers only TryWrite: with FullMode.Wait that returns false when the queue is full, so a drop can be counted
    // (DropWrite would report success for the dropped item).
    private readonly Channel<LoopInput> _inputs = Channel.CreateBounded<LoopInput>(new BoundedChannelOptions(16384)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Finished group actions, handed back to the loop (never dropped, unlike datagrams in a flood).</summary>
    private readonly ConcurrentQueue<(string Key, GroupAction Action, bool Success, string Reason)> _groupResults = new();
    /// <summary>
    /// Set by every producer after it queued an input (or a flag for the loop): the loop thread sleeps on it until its
    /// next deadline. No spinning: an idle daemon wakes a few times a second and each wake-up should cost one switch.
    /// </summary>
    private bool _leaveNoticed;
    private RealtimeThreads? _realtime;
    private readonly LoopWakeup _wakeup = new();

    /// <summary>
    /// The loop's poll set: entry 0 the wake-up eventfd, then one per receiving socket (<see cref="_receivers"/>). The
    /// loop reads the sockets itself, so a heartbeat costs one wake-up, not a reader thread's and then the loop's.
    /// </summary>
    private PollFd[] _pollSet = [];
    private MediumReceiver[] _receivers = [];

    /// <summary>Sockets poll reported readable and not read since; read one datagram each, in turn.</summary>
    private bool[] _readable = [];
    private int _nextReceiver;
    private long _receiveErrors;
    /// <summary>Group actions in the planner's order, for the group worker thread.</summary>
    private readonly System.Collections.Concurrent.BlockingCollection<(string Key, GroupAction Action, string? RequestedBy, long DecidedAt, DateTimeOffset DecidedWhen)> _groupActions = [];
    private RcHookRunner? _hooks;
    private ResourceExecutor? _executor;
    private IResourcePlanner? _planner;
    private bool _readyToLeave;
    private int _monitorRunning;

    /// <summary>Set when a configured VIP was deleted (or notifications were lost, or a check was deferred); the loop checks.</summary>
    private int _addressesChanged;

    /// <summary>The kernel's address notifications, in the loop's poll set (null: none configured, or the subscription failed).</summary>
    private AddressEvents? _addressEvents;
    private HashSet<IPAddress> _configuredAddresses = [];
    private readonly List<IPAddress> _deletedAddresses = [];
    private bool _addressEventsReady;

    /// <summary>Without a subscription, the held VIPs are checked every keepalive instead (MaxValue: not needed).</summary>
    private TimeSpan _nextAddressPoll = TimeSpan.MaxValue;
    private TimeSpan _addressPollInterval;

    /// <summary>Groups with a release issued and no acquisition since: the monitor must not bring their VIPs back.</summary>
    private readonly ConcurrentDictionary<string, bool> _releasing = new(StringComparer.Ordinal);
    private volatile bool _leaving;
    private readonly Dictionary<RejectReason, (TimeSpan LoggedAt, long CountThen)> _rejectLog = [];
    private long _sendErrors;
    private long _inputDropped;

    // The loop thread's own allocations since its first turn, not counting what answering control requests allocated
    // (a status snapshot is built on the loop): a steady-state heartbeat path must leave this unchanged, and a test
    // reads it through the status. Loop thread only.
    private long _loopAllocationBaseline;
    private long _controlAllocatedBytes;
    private long _loopAllocatedAtAnswer;

    // Something shown in systemd's STATUS= line may have changed since it was last built (loop thread only).
    private bool _summaryStale = true;
    private MediaSet? _media;

    /// <summary>Groups taken over from a dead or departed peer since start (loop thread only).</summary>
    private long _takeovers;
    /// <summary>The <c>ld</c> text as a string, made when first asked for after a change.</summary>
    private string? _loadAverage;

    // Half of MinValue: "now - _loadReadAt" must not overflow before the first read (with MinValue it wrapped negative
    // and /proc/loadavg was never read: every status carried the placeholder).
    private long _loadReadAt = long.MinValue / 2;

    private const long LoadAverageRefreshMilliseconds = 5000;

    private Microsoft.Win32.SafeHandles.SafeFileHandle? _loadAverageFile;
    private readonly byte[] _loadAverageBytes = new byte[256];
    private readonly byte[] _loadAverageText = [.. "0.00 0.00 0.00 1/1 1"u8, .. new byte[236]];
    private int _loadAverageLength = "0.00 0.00 0.00 1/1 1".Length;

    /// <summary>The loop's reusable list for the engine's outgoing datagrams.</summary>
    private readonly List<OutgoingDatagram> _outgoing = [];

    private readonly List<MembershipEvent> _events = [];

    private readonly List<PlannerCommand> _commands = [];

    /// <summary>Why the daemon could not run (a medium or a state file), or null; the process then exits with 1.</summary>
    public string? StartupError { get; private set; }

    /// <summary>The engine, once started; read-only use from other threads (counters) is safe.</summary>
    public MembershipEngine? Engine { get; private set; }

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
            MembershipLog.CannotStart(logger, ex.Message);
            lifetime.StopApplication();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var haCf = config.HaCf;
        _realtime = new RealtimeThreads(haCf.Realtime && !settings.NormalPriority, haCf.RealtimePriority, logger);
        _realtime.Enter("cluster loop");
        var files = new NodeStateFiles(settings.StateDirectory);
        files.EnsureDirectory();
        var uuid = files.LoadOrCreateUuid(haCf.UuidSource, settings.NodeName, out bool created);
        if (created)
        {
            MembershipLog.UuidCreated(logger, uuid.ToString(), files.UuidPath);
        }

        ulong generation = files.NextGeneration(haCf.GenerationMethod, time.GetUtcNow());
        MembershipLog.Starting(logger, typeof(MembershipService).Assembly.GetName().Version?.ToString() ?? "?", settings.NodeName, uuid.ToString(), generation);

        using var media = MediaSet.Open(haCf.Media);
        _media = media;
        foreach (var sender in media.Senders)
        {
            MembershipLog.MediumOpen(logger, sender.Medium.Describe(), sender.Destination.ToString());
        }

        foreach (var receiver in media.Receivers)
        {
            MembershipLog.Listening(logger, receiver.Description);
        }

        var engine = new MembershipEngine(
            MembershipOptions.FromConfig(haCf),
            new LocalIdentity(settings.NodeName, uuid, generation),
            new Authenticator(config.AuthKeys),
            time,
            new Random(),
            ReadLoadAverage,
            WriteLoadAverage);
        Engine = engine;
        _executor = executor;

        await using var hooks = new RcHookRunner(Path.Join(settings.ConfigDirectory, "rc.d"), scripts, logger);
        _hooks = hooks;
        if (haCf.NegotiatesResources)
        {
            _planner = haCf.AutoFailback == AutoFailback.Legacy
                ? new LegacyResourcePlanner(settings.NodeName, config.Resources, time)
                : new ResourcePlanner(settings.NodeName, config.Resources, haCf.AutoFailback, time);
            _planner.AdoptLeftovers(leftovers.KeptGroups);

            // Sockets open and placements resolved now, so a takeover is a netlink request and two frames away.
            executor.Prepare();
            WatchAddresses(executor, haCf.Keepalive, engine.Now);
        }
        else
        {
            MembershipLog.PlannerNeedsTwoNodes(logger, haCf.Nodes.Length);
        }

        using var loopCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        _receivers = [.. media.Receivers];
        _readable = new bool[_receivers.Length];
        // The wake-up, the receiving sockets, then the address notifications (a negative descriptor: poll skips it).
        _pollSet = new PollFd[_receivers.Length + 2];
        _pollSet[0] = new PollFd { Fd = _wakeup.Descriptor, Events = PollCall.Readable };
        for (int i = 0; i < _receivers.Length; i++)
        {
            _pollSet[i + 1] = new PollFd { Fd = _receivers[i].Descriptor, Events = PollCall.Readable };
        }

        _pollSet[^1] = new PollFd { Fd = _addressEvents?.Descriptor ?? -1, Events = PollCall.Readable };

        using var wakeOnStop = stoppingToken.UnsafeRegister(static wakeup => ((LoopWakeup)wakeup!).Signal(), _wakeup);
        // A thread of its own, blocked until the planner issues an action: a takeover starts without waking a pool thread.
        var groupWorker = new Thread(RunGroupActions) { IsBackground = true, Name = "group worker" };
        groupWorker.Start();

        using var systemd = Systemd.SystemdNotifier.FromEnvironment();
        _systemd = systemd;
        _runningFiles = Config.ConfigDirectory.Read(settings.ConfigDirectory);
        var nextWatchdog = TimeSpan.Zero;
        string? lastSummary = null;
        var nextCounters = engine.Now + CountersInterval;
        TimeSpan? leaveAt = null;
        bool leaveStarted = false;

        // The first keepalives go out once everything is set up (hooks, planner, resource sockets, threads), right
        // before the loop's first turn: set-up can take a while on a loaded machine (seen: ~1 s), and a peer that had
        // heard our first status would be timing a silence our own stall guard then reported as a pause.
        engine.Start();
        string lastStatus = engine.LocalStatus;
        MembershipLog.LocalStatus(logger, lastStatus);
        Flush(engine, media);
        _loopAllocationBaseline = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            while (true)
            {
                var due = nextCounters;
                due = Earlier(due, systemd.WatchdogInterval is null ? TimeSpan.MaxValue : nextWatchdog);
                due = Earlier(due, leaveAt ?? TimeSpan.MaxValue);
                due = Earlier(due, _planner?.NextTimerIn is { } timerIn ? engine.Now + timerIn : TimeSpan.MaxValue);
                due = Earlier(due, _nextAddressPoll);
                var input = NextInput(engine, due, stoppingToken);
                switch (input.Kind)
                {
                    case LoopInputKind.Datagram:
                        engine.Receive(input.Datagram.Bytes, input.Datagram.Interface);
                        input.Datagram.Return(); // the engine keeps nothing of it: decoded messages own copies
                        break;
                    case LoopInputKind.Tick:
                        engine.Tick();
                        break;
                }

                if (_leaving && !leaveStarted)
                {
                    leaveStarted = true;
                    systemd.Notify("STOPPING=1", Systemd.SystemdNotifier.StatusLine("leaving: stopping resource groups, then shutdone"));
                    MembershipLog.ShuttingDown(logger);
                    if (_planner is null)
                    {
                        _readyToLeave = true;
                    }
                    else
                    {
                        // The resource report (info=shutdown) and every group stopped before shutdone.
                        _planner.BeginShutdown();
                    }
                }

                while (_groupResults.TryDequeue(out var done))
                {
                    _summaryStale = true;
                    RecordGroupResult(done.Key, done.Action, done.Success, done.Reason);
                    switch (done.Action)
                    {
                        case GroupAction.Acquire:
                            _planner?.GroupStarted(done.Key, done.Success);
                            if (done.Success && _configuredAddresses.Count > 0)
                            {
                                // A deletion the kernel reported between the address going up and this turn found the
                                // group not yet held, and that check did nothing: look once more now that it is held.
                                Volatile.Write(ref _addressesChanged, 1);
                            }

                            break;
                        case GroupAction.Release:
                            _planner?.GroupStopped(done.Key);
                            break;
                        case GroupAction.Announce:
                            _planner?.GroupAnnounced(done.Key);
                            break;
                    }
                }

                AnswerControlRequests(engine);
                ReloadIfRequested(engine);

                // Every turn, not only on ticks: besides its timers the planner hands over failed groups once the
                // state allows it, and whatever changed the state woke the loop.
                _planner?.Tick();

                NoteAddressChanges(engine.Now);
                if (Interlocked.Exchange(ref _addressesChanged, 0) != 0)
                {
                    CheckHeldAddresses();
                }

                Flush(engine, media);
                if (_readyToLeave && leaveAt is null)
                {
                    engine.SendShutdownDone();
                    Flush(engine, media);

                    // 3.0.6 keeps running about a second after shutdone, so copies and retransmissions can still go out.
                    leaveAt = engine.Now + TimeSpan.FromTicks(Math.Min(haCf.Keepalive.Ticks, TimeSpan.FromSeconds(1).Ticks));
                }
                if (engine.LocalStatus != lastStatus)
                {
                    lastStatus = engine.LocalStatus;
                    MembershipLog.LocalStatus(logger, lastStatus);
                    if (lastStatus == NodeStatus.Active && !leaveStarted)
                    {
                        // Type=notify: ready once communication is up (3.0.6's "Comm_now_up").
                        lastSummary = Summary(engine);
                        systemd.Notify("READY=1", Systemd.SystemdNotifier.StatusLine(lastSummary));
                    }
                }

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
                    string summary = Summary(engine);
                    if (summary != lastSummary)
                    {
                        lastSummary = summary;
                        systemd.Notify(Systemd.SystemdNotifier.StatusLine(summary));
                    }
                }

                if (engine.Now >= nextCounters)
                {
                    nextCounters = engine.Now + CountersInterval;
                    LogCounters(engine);
                    TrimMemoryIfDue();
                }
                else if (_allocatedAtTrim < 0 && StartupOver(lastStatus))
                {
                    // The first trim ends the start-up rather than waiting for the first minute: the start-up's garbage
                    // goes as soon as it is garbage, and the daemon at rest does not pay a collection later.
                    TrimMemoryIfDue();
                }

                if (leaveAt is { } at && engine.Now >= at)
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
            Engine = null;
            RefuseControlRequests();
            LogCounters(engine);
            await loopCancel.CancelAsync().ConfigureAwait(false);
            media.Dispose();
            _addressEvents?.Dispose();
            _groupActions.CompleteAdding();
            await Task.Run(() => groupWorker.Join()).ConfigureAwait(false);
            MembershipLog.ShutdownComplete(logger);
        }
    }

    /// <summary>systemd's one-line STATUS=: peers and what this node holds.</summary>
    private string Summary(MembershipEngine engine)
    {
        var peers = string.Join(", ", engine.Peers.Select(p => $"{p.Name} {p.Status}"));
        string holding = _planner is null ? "no resource placement" : $"holding {_planner.Held.Count} of {config.Resources.Groups.Length} groups ({ResourcePlanner.Name(_planner.Holding)}){(_planner.InTransition ? ", in transition" : string.Empty)}";
        return $"{engine.LocalStatus}; peers: {(peers.Length == 0 ? "none" : peers)}; {holding}";
    }

    /// <summary>
    /// The loop's next input: a tick once the engine's next deadline (the next keepalive, the moment a peer or link
    /// would be past its window, a retransmission request) or <paramref name="otherDue"/> (the planner's timers, the
    /// watchdog's ping, the counters) has come, else a queued wake-up, else one datagram from a socket poll reported
    /// readable. Deadlines come first, so a flood cannot hold back our keepalives or a death. Sleeps in poll(2) on the
    /// sockets and the wake-up eventfd until then: no timer thread, no reader thread, no thread-pool hop between a
    /// deadline or a datagram and what it causes.
    /// </summary>
    private LoopInput NextInput(MembershipEngine engine, TimeSpan otherDue, CancellationToken stoppingToken)
    {
        while (true)
        {
            var now = engine.Now;
            var due = Earlier(engine.NextDeadline, otherDue);
            if (now >= due || (_leaving && !_leaveNoticed))
            {
                _leaveNoticed |= _leaving;
                return LoopInput.Tick;
            }

            if (_inputs.Reader.TryRead(out var queued))
            {
                return queued;
            }

            if (TryReadReadySocket(out var datagram))
            {
                return LoopInput.From(datagram);
            }

            if (_addressEventsReady)
            {
                return LoopInput.Wake;
            }

            stoppingToken.ThrowIfCancellationRequested();

            // Rounded up to the timer's millisecond: waking early would only cost a second wait. An input queued after
            // the look above has signalled the eventfd, so poll returns at once.
            int milliseconds = (int)Math.Clamp(Math.Ceiling((due - now).TotalMilliseconds), 1, LongestSleep.TotalMilliseconds);
            WaitForInput(milliseconds);
        }
    }

    /// <summary>Sleeps in poll(2) until a socket or the wake-up is readable or the time is up; notes what is ready.</summary>
    private void WaitForInput(int milliseconds)
    {
        var set = _pollSet.AsSpan();
        for (int i = 0; i < set.Length; i++)
        {
            set[i].ReturnedEvents = 0;
        }

        if (PollCall.Wait(set, milliseconds) == 0)
        {
            return;
        }

        if (set[0].ReturnedEvents != 0)
        {
            _wakeup.Clear();
        }

        for (int i = 1; i < set.Length - 1; i++)
        {
            // POLLERR too: the read returns (and clears) the socket's pending error.
            _readable[i - 1] |= set[i].ReturnedEvents != 0;
        }

        _addressEventsReady |= set[^1].ReturnedEvents != 0;
    }

    /// <summary>
    /// One datagram from the next socket poll reported readable. One read per report: while more are queued poll
    /// reports the socket again, and the loop looks at its deadlines between datagrams.
    /// </summary>
    private bool TryReadReadySocket(out ReceivedDatagram datagram)
    {
        for (int k = 0; k < _receivers.Length; k++)
        {
            int i = (_nextReceiver + k) % _receivers.Length;
            if (!_readable[i])
            {
                continue;
            }

            _readable[i] = false;
            var receiver = _receivers[i];
            if (receiver.TryReceive(out datagram, out int errno))
            {
                _nextReceiver = (i + 1) % _receivers.Length;
                return true;
            }

            if (errno != Interop.RecvCall.Eagain)
            {
                long count = ++_receiveErrors;
                if (count <= 10 || count % 100 == 0)
                {
                    MembershipLog.ReceiveFailed(logger, receiver.Interface, Marshal.GetPInvokeErrorMessage(errno), errno);
                }
            }
        }

        datagram = default;
        return false;
    }

    /// <summary>Queues an input for the loop and wakes it; a full queue drops it (counted) rather than blocking the caller.</summary>
    private void WakeLoop(LoopInput input)
    {
        if (!_inputs.Writer.TryWrite(input))
        {
            long count = Interlocked.Increment(ref _inputDropped);
            if (count <= 10 || count % 1000 == 0)
            {
                MembershipLog.InputDropped(logger, count);
            }
        }

        _wakeup.Signal();
    }

    private void Flush(MembershipEngine engine, MediaSet media)
    {
        // Planner commands can produce messages, which produce events: go round until nothing is left.
        for (int round = 0; round < 16; round++)
        {
            bool any = false;
            engine.DrainOutgoing(_outgoing);
            foreach (var datagram in _outgoing)
            {
                any = true;
                Send(engine, media, datagram);
            }

            _outgoing.Clear();

            // Into reused lists, indexed: a foreach over an interface would take the generic enumerator path every turn.
            engine.DrainEvents(_events);
            for (int i = 0; i < _events.Count; i++)
            {
                any = true;
                _summaryStale = true;
                var e = _events[i];
                LogEvent(engine, e);
                Plan(engine, e);
                RunHook(e);
            }

            _events.Clear();
            if (_planner is not null)
            {
                _planner.Drain(_commands);
                for (int i = 0; i < _commands.Count; i++)
                {
                    any = true;
                    _summaryStale = true;
                    Execute(engine, _commands[i]);
                }

                _commands.Clear();
            }

            if (!any)
            {
                return;
            }
        }
    }

    private void Send(MembershipEngine engine, MediaSet media, OutgoingDatagram datagram)
    {
        foreach (var sender in media.Senders)
        {
            int errno = sender.Send(datagram.Bytes.Span);
            engine.ReportOwnLink(sender.Interface, errno == 0);
            if (errno != 0)
            {
                long count = ++_sendErrors;
                if (count <= 10 || count % 100 == 0)
                {
                    MembershipLog.SendFailed(logger, sender.Medium.Describe(), Marshal.GetPInvokeErrorMessage(errno), errno, count);
                }
            }
        }
    }

    /// <summary>Membership events that matter to resource placement.</summary>
    private void Plan(MembershipEngine engine, MembershipEvent e)
    {
        if (_planner is null)
        {
            return;
        }

        switch (e)
        {
            case CommunicationUp:
                var dead = engine.Peers.Where(p => p.IsDead).Select(p => p.Name).ToArray();

                // "Alone" for legacy means no other node is active yet; nice_failback only needs a live peer.
                bool peerAlive = _planner is LegacyResourcePlanner
                    ? engine.Peers.Any(p => p.Status == NodeStatus.Active)
                    : engine.Peers.Any(p => !p.IsDead);
                _planner.CommunicationUp(dead, peerAlive);
                break;
            case NodeDead dead1 when _planner.State != PlannerState.Init:
                _planner.PeerDied(dead1.Node);
                break;
            case NodeRestarted restarted:
                _planner.PeerReturned(restarted.Node);
                break;
            case NodeReturnedAfterPartition returned:
                _planner.PartitionHealed(returned.Node);
                break;
            case ShutdownNotice notice:
                _planner.PeerShutDown(notice.Node);
                break;
            case LocalStall { BeyondDeadtime: true }:
                _planner.ResumedAfterStall();
                break;
            case ClusterMessage message:
                _planner.Received(message.Node, message.Message);
                break;
            case OverheardMessage overheard:
                _planner.Overheard(overheard.Node, overheard.Message);
                break;
        }
    }

    private void Execute(MembershipEngine engine, PlannerCommand command)
    {
        switch (command)
        {
            case SendClusterMessage send:
                engine.SendSequenced(send.Body);
                break;
            case AcquireGroup acquire:
                // The group worker starts at once; logging and bookkeeping follow (the takeover path waits for neither).
                RunGroupAction(acquire.Key, GroupAction.Acquire, null);
                _releasing.TryRemove(acquire.Key, out _);
                MembershipLog.PlannerAction(logger, "acquire", acquire.Key, acquire.Reason);
                if (acquire.Reason.StartsWith("peer dead", StringComparison.Ordinal) || acquire.Reason.StartsWith("peer shut down", StringComparison.Ordinal))
                {
                    // One event to find every failover by (journalctl HB_EVENT=takeover).
                    string from = config.Resources.Groups.FirstOrDefault(g => g.Key == acquire.Key)?.Node ?? "?";
                    MembershipLog.Takeover(logger, acquire.Key, from, acquire.Reason);
                    _takeovers++;
                }

                RecordGroupState(acquire.Key, "starting", acquire.Reason);
                break;
            case ReleaseGroup release:
                _releasing[release.Key] = true;
                MembershipLog.PlannerAction(logger, "release", release.Key, release.Reason);
                RecordGroupState(release.Key, "stopping", release.Reason);
                RunGroupAction(release.Key, GroupAction.Release, release.RequestedBy);
                break;
            case AnnounceGroup announce:
                MembershipLog.PlannerAction(logger, "announce", announce.Key, announce.Reason);
                RunGroupAction(announce.Key, GroupAction.Announce, null);
                break;
            case ReadyToLeave:
                _readyToLeave = true;
                break;
        }
    }

    /// <summary>
    /// Group actions run one after another in the order the planner issued them, as 3.0.6 acquires and releases groups
    /// in haresources order; each group also has its own queue in the executor.
    /// </summary>
    private void RunGroupAction(string key, GroupAction action, string? requestedBy) => _groupActions.TryAdd((key, action, requestedBy, Stopwatch.GetTimestamp(), time.GetUtcNow()));

    /// <summary>rc.d hooks: a peer's message by its type; a node's status change as 3.0.6's synthesized status message.</summary>
    private void RunHook(MembershipEvent e)
    {
        bool niceFailback = config.HaCf.AutoFailback != AutoFailback.Legacy;
        switch (e)
        {
            case ClusterMessage { Message.Type: { } type } message:
                _hooks?.Enqueue(type, RcHooks.Environment(message.Message, settings.NodeName, null, niceFailback));
                break;
            case NodeStatusChanged changed:
                var status = new Protocol.Wire.HaMessage([
                    Protocol.Wire.HaField.String("t", "status"),
                    Protocol.Wire.HaField.String("src", changed.Node),
                    Protocol.Wire.HaField.String("st", changed.NewStatus)]);
                _hooks?.Enqueue("status", RcHooks.Environment(status, settings.NodeName, changed.OldStatus, niceFailback));
                break;
        }
    }

    /// <summary>
    /// The group worker: one action at a time, synchronously (a script's wait blocks this thread only; the loop goes on).
    /// </summary>
    private void RunGroupActions()
    {
        _realtime?.Enter("group worker");
        var executor = _executor!;
        foreach (var (key, action, requestedBy, decidedAt, decidedWhen) in _groupActions.GetConsumingEnumerable())
        {
            long pickedAt = Stopwatch.GetTimestamp();
            if (requestedBy is not null && _hooks is { } hooks)
            {
                // rc.d/ip-request runs $HA_RCDIR/local_giveip before it gives a group up at a peer's request.
                var request = new Protocol.Wire.HaMessage([
                    Protocol.Wire.HaField.String("t", "ip-request"),
                    Protocol.Wire.HaField.String("src", requestedBy),
                    Protocol.Wire.HaField.String("ipaddr", key)]);
                hooks.RunNowAsync(RcHooks.LocalGiveIp, RcHooks.Environment(request, settings.NodeName, null, niceFailback: false), "ip-request").GetAwaiter().GetResult();
            }

            bool success;
            string reason;
            try
            {
                var outcome = action switch
                {
                    GroupAction.Acquire => executor.TakeGroupAsync(key, CancellationToken.None).GetAwaiter().GetResult(),
                    GroupAction.Release => executor.GiveGroupAsync(key, CancellationToken.None).GetAwaiter().GetResult(),
                    _ => executor.AnnounceGroupAsync(key, CancellationToken.None).GetAwaiter().GetResult(),
                };
                success = outcome.Success;
                reason = outcome.Reason;
                if (success && action == GroupAction.Acquire)
                {
                    LogAnnouncementDelay(executor, key, decidedAt, decidedWhen, pickedAt);
                }
            }
            catch (Exception ex) when (ex is Interop.NativeCallException or TimeoutException or InvalidDataException or IOException)
            {
                MembershipLog.PlannerAction(logger, $"{action.ToString().ToLowerInvariant()} failed", key, ex.Message);
                success = false;
                reason = ex.Message;
            }

            _groupResults.Enqueue((key, action, success, reason));
            WakeLoop(LoopInput.Wake);
        }
    }

    /// <summary>
    /// The takeover path as this process saw it: from the acquisition decided (a death, a shutdone, a grant) to the
    /// group worker picking it up, to the address requested from the kernel, to the first gratuitous ARP sent.
    /// </summary>
    private void LogAnnouncementDelay(ResourceExecutor executor, string key, long decidedAt, DateTimeOffset decidedWhen, long pickedAt)
    {
        IpAddressResource? first = null;
        foreach (var address in executor.AddressesOf(key))
        {
            if (address.FirstAnnouncementAt >= decidedAt && (first is null || address.FirstAnnouncementAt < first.FirstAnnouncementAt))
            {
                first = address;
            }
        }

        if (first is not null)
        {
            MembershipLog.FirstAnnouncement(
                logger,
                key,
                (long)Stopwatch.GetElapsedTime(decidedAt, first.FirstAnnouncementAt).TotalMicroseconds,
                (long)Stopwatch.GetElapsedTime(decidedAt, pickedAt).TotalMicroseconds,
                (long)Stopwatch.GetElapsedTime(decidedAt, first.AddressRequestedAt).TotalMicroseconds,
                decidedWhen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Subscribes to the kernel's address notifications: when a configured VIP is deleted (an <c>ifdown</c>, an admin's
    /// <c>ip addr del</c>, our own release) or notifications were lost, the loop checks the held groups' VIPs. Why not
    /// a check every keepalive: at rest that woke the daemon every second to learn nothing; now a removed VIP is noticed
    /// at once. The socket sits in the loop's poll set, not on a thread of its own: a thread blocked on it would still
    /// have to wake now and then to see whether the daemon is stopping. If the subscription cannot be opened, the
    /// loop checks every keepalive instead.
    /// </summary>
    private void WatchAddresses(ResourceExecutor executor, TimeSpan keepalive, TimeSpan now)
    {
        _configuredAddresses = executor.AllAddresses.Select(v => v.Spec.Ip!.Address).ToHashSet();
        if (_configuredAddresses.Count == 0)
        {
            return;
        }

        _addressPollInterval = keepalive;
        try
        {
            _addressEvents = AddressEvents.Open(AddressReadWait);
        }
        catch (Interop.NativeCallException ex)
        {
            ResourceLog.MonitorError(logger, "address notifications", ex.Message);
            _nextAddressPoll = now + keepalive;
        }
    }

    /// <summary>Reads the address notifications poll reported (or, without a subscription, checks every keepalive).</summary>
    private void NoteAddressChanges(TimeSpan now)
    {
        if (now >= _nextAddressPoll)
        {
            _nextAddressPoll = now + _addressPollInterval;
            Volatile.Write(ref _addressesChanged, 1);
        }

        if (!_addressEventsReady || _addressEvents is null)
        {
            _addressEventsReady = false;
            return;
        }

        _addressEventsReady = false;
        _deletedAddresses.Clear();
        bool check;
        try
        {
            check = _addressEvents.Wait(_deletedAddresses) switch
            {
                AddressEventKind.Overflow => true,
                AddressEventKind.Changes => _deletedAddresses.Exists(_configuredAddresses.Contains),
                _ => false,
            };
        }
        catch (Interop.NativeCallException ex)
        {
            // The subscription broke: never let it take the daemon down; check every keepalive from now on.
            ResourceLog.MonitorError(logger, "address notifications", ex.Message);
            _addressEvents.Dispose();
            _addressEvents = null;
            _pollSet[^1].Fd = -1;
            _nextAddressPoll = now + _addressPollInterval;
            check = true;
        }

        if (check && !_leaving)
        {
            Volatile.Write(ref _addressesChanged, 1);
        }
    }

    /// <summary>
    /// The VIPs of held groups are checked (and restored) off the loop thread, each inside its group's queue and only
    /// while the group is still meant to be held: a release issued earlier always wins. A check asked for while one
    /// runs is kept for the next loop turn.
    /// </summary>
    private void CheckHeldAddresses()
    {
        if (_planner is null || _executor is null || _leaving || _planner.Held.Count == 0)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _monitorRunning, 1, 0) != 0)
        {
            Volatile.Write(ref _addressesChanged, 1);
            return;
        }

        var executor = _executor;
        var keys = _planner.Held.Where(executor.HasGroup).ToArray();
        _ = Task.Run(async () =>
        {
            try
            {
                foreach (string key in keys)
                {
                    await executor.RunExclusiveAsync(key, async () =>
                    {
                        if (!_leaving && !_releasing.ContainsKey(key))
                        {
                            await new VipMonitor(executor.AddressesOf(key), logger).CheckOnceAsync(CancellationToken.None).ConfigureAwait(false);
                        }
                    }, CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                Interlocked.Exchange(ref _monitorRunning, 0);

                // A change reported while this check ran was kept for the loop's next turn: make that turn now.
                if (Volatile.Read(ref _addressesChanged) != 0)
                {
                    WakeLoop(LoopInput.Wake);
                }
            }
        });
    }

    private void LogEvent(MembershipEngine engine, MembershipEvent e)
    {
        switch (e)
        {
            case PacketRejected r:
                LogRejected(engine, r);
                break;
            case NodeStatusChanged s:
                MembershipLog.StatusUpdate(logger, s.Node, s.NewStatus);
                break;
            case NodeDead d:
                MembershipLog.NodeDead(logger, d.Node, (long)d.Silence.TotalMilliseconds, (long)d.Window.TotalMilliseconds, d.NeverHeard ? ", never heard" : string.Empty);
                break;
            case LinkChanged l:
                MembershipLog.Link(logger, l.Node, l.Interface, l.Up ? "up" : "dead");
                break;
            case LateHeartbeat late when late.BeyondDeadtime:
                MembershipLog.LateHeartbeatBeyondDeadtime(logger, late.Node, (long)late.Interval.TotalMilliseconds);
                break;
            case LateHeartbeat late:
                MembershipLog.LateHeartbeat(logger, late.Node, (long)late.Interval.TotalMilliseconds);
                break;
            case NodeRestarted restarted:
                MembershipLog.NodeRestarted(logger, restarted.Node, restarted.OldGeneration, restarted.NewGeneration);
                break;
            case NodeReturnedAfterPartition returned:
                MembershipLog.ReturnedAfterPartition(logger, returned.Node, returned.Generation);
                break;
            case PacketsLost lost when lost.TrackingReset:
                MembershipLog.TrackingReset(logger, lost.Node, lost.First, lost.Last);
                break;
            case PacketsLost lost:
                MembershipLog.PacketsLost(logger, lost.Last - lost.First + 1, lost.Node, lost.First, lost.Last);
                break;
            case GapsClosed closed:
                MembershipLog.GapsClosed(logger, closed.Node);
                break;
            case PacketIrretrievable irretrievable:
                MembershipLog.Irretrievable(logger, irretrievable.Node, irretrievable.Seq);
                break;
            case RetransmitRequested requested:
                MembershipLog.RetransmitRequested(logger, requested.Node, requested.Seq, requested.Attempt);
                break;
            case RetransmitServed served:
                MembershipLog.RetransmitServed(logger, served.Node, served.Seq, served.Outcome);
                break;
            case FlowControlDisabled flow:
                MembershipLog.FlowControlDisabled(logger, flow.Node);
                break;
            case CommunicationUp up:
                MembershipLog.CommunicationUp(logger, (long)up.SinceStart.TotalMilliseconds, up.HandshakeDone);
                break;
            case NodeListExchange exchange:
                MembershipLog.NodeListExchange(logger, exchange.Request ? "requested from" : "sent to", exchange.Node);
                break;
            case NodeListMismatch mismatch:
                MembershipLog.NodeListMismatch(logger, mismatch.Node, mismatch.TheirList, mismatch.OurList);
                break;
            case ShutdownNotice notice:
                MembershipLog.ShutdownNotice(logger, notice.Node);
                break;
            case LocalStall stall:
                MembershipLog.LocalStall(logger, (long)stall.Paused.TotalMilliseconds);
                break;
            case ClusterMessage message:
                MembershipLog.ClusterMessage(logger, message.Message.Type ?? "?", message.Node);
                break;
        }
    }

    /// <summary>Every rejection is counted; the log gets the first of each reason and then at most one line per 5 s.</summary>
    private void LogRejected(MembershipEngine engine, PacketRejected r)
    {
        var now = engine.Now;
        if (_rejectLog.TryGetValue(r.Reason, out var last) && now - last.LoggedAt < RejectLogInterval)
        {
            return;
        }

        long suppressed = last == default ? 0 : r.Count - last.CountThen - 1;
        _rejectLog[r.Reason] = (now, r.Count);
        MembershipLog.PacketRejected(logger, r.Interface, r.Node ?? "?", r.Reason, r.Detail, r.Count, suppressed);
    }

    /// <summary>
    /// The start-up is over once communication is up and the planner has settled its first placement (or there is no
    /// planner) with nothing in flight: no transition, no queued group action or result.
    /// </summary>
    private bool StartupOver(string localStatus) =>
        localStatus == NodeStatus.Active && _groupActions.Count == 0 && _groupResults.IsEmpty &&
        (_planner is null || (_planner.State == PlannerState.Stable && !_planner.InTransition));

    private void LogCounters(MembershipEngine engine)
    {
        var c = engine.Counters;

        // The line is written once a minute for the daemon's whole life: the per-reason text is rebuilt only when
        // something was rejected since the last line (usually never), so a quiet daemon's line allocates only what the
        // logging pipeline needs.
        long rejected = c.RejectedTotal;
        if (rejected != _rejectionsInText)
        {
            _rejectionsInText = rejected;
            _rejectionsText = string.Join(", ", c.RejectedByReason.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")));
        }

        string byReason = _rejectionsText;
        MembershipLog.Counters(logger, c.Received, c.Sent, c.Duplicates, rejected, byReason, c.RetransmitRequestsSent, c.RetransmissionsServed, c.LateHeartbeats, c.WorstLateMilliseconds,
            // Not precise: the precise count suspends every managed thread to read their allocation contexts, and on
            // a loaded machine the realtime loop then waits for normal-priority threads to reach a safe point.
            GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), LoopAllocatedBytes());
    }

    /// <summary>
    /// A tiny daemon's heap never reaches the gen0 budget the GC sizes from the CPU cache (megabytes): the start-up's
    /// garbage (the host, the configuration, the first log lines: ~0.7 MB) stayed resident for ever, and the little
    /// a quiet daemon allocates (a counters line a minute) only added pages until a GC hours later. Smaller gen0
    /// budgets made it worse (with regions each collection moved gen0 to fresh pages: +0.7 MB). So the loop
    /// itself collects, compacts and returns free pages to the kernel (an aggressive GC: 1–2 ms on this heap) once the
    /// start-up is over (communication up, the first placement settled; at the latest at the first counters line),
    /// and again, at a counters line, whenever another megabyte has been allocated
    /// (at a quiet daemon's rate, every few hours). Measured: RssAnon 3.99 → 3.34 MB at the first trim. Not while
    /// groups are moving: the pause would land on the takeover path.
    /// </summary>
    private void TrimMemoryIfDue()
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        if ((_allocatedAtTrim >= 0 && allocated - _allocatedAtTrim < TrimAfterAllocatedBytes) || _planner?.InTransition == true || _groupActions.Count > 0)
        {
            return;
        }

        long start = Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var pause = Stopwatch.GetElapsedTime(start);
        var memory = GC.GetGCMemoryInfo(GCKind.Any);
        MembershipLog.MemoryTrimmed(logger, memory.HeapSizeBytes, memory.TotalCommittedBytes, pause.TotalMilliseconds, _allocatedAtTrim < 0 ? allocated : allocated - _allocatedAtTrim);
        _allocatedAtTrim = GC.GetTotalAllocatedBytes(precise: false);
    }

    /// <summary>Managed allocation since the last trim after which the next counters line trims again.</summary>
    private const long TrimAfterAllocatedBytes = 1 << 20;

    /// <summary>The total allocated at the last trim; -1 before the first.</summary>
    private long _allocatedAtTrim = -1;

    /// <summary>The rejection total that <see cref="_rejectionsText"/> describes (the counters line's "[…]").</summary>
    private long _rejectionsInText;

    private string _rejectionsText = string.Empty;

    /// <summary>What the loop thread allocated since its first turn, control requests excluded (loop thread only).</summary>
    private long LoopAllocatedBytes() => GC.GetAllocatedBytesForCurrentThread() - _loopAllocationBaseline - _controlAllocatedBytes;

    /// <summary>
    /// The <c>ld</c> field as text, for messages other than heartbeats: a string only when the text changed since the
    /// last one.
    /// </summary>
    private string ReadLoadAverage()
    {
        RefreshLoadAverage();
        return _loadAverage ??= System.Text.Encoding.Latin1.GetString(_loadAverageText.AsSpan(0, _loadAverageLength));
    }

    /// <summary>The <c>ld</c> field as bytes, for heartbeats: no allocation.</summary>
    private int WriteLoadAverage(Span<byte> destination)
    {
        RefreshLoadAverage();
        int length = Math.Min(_loadAverageLength, destination.Length);
        _loadAverageText.AsSpan(0, length).CopyTo(destination);
        return length;
    }

    /// <summary>
    /// Rereads the first line of /proc/loadavg at most every 5 s, through a handle kept open, into a buffer kept. Why
    /// 5 s: the kernel recomputes the three averages only that often (LOAD_FREQ); the other two fields (runnable/total
    /// tasks, the newest pid) are instantaneous and tell a peer nothing. Reread at every keepalive it cost ~6 % of an
    /// idle node's CPU (a system call, and the kernel sums every CPU's run queue and formats the line).
    /// </summary>
    private void RefreshLoadAverage()
    {
        long now = Environment.TickCount64;
        if (now - _loadReadAt < LoadAverageRefreshMilliseconds)
        {
            return;
        }

        _loadReadAt = now;
        try
        {
            _loadAverageFile ??= File.OpenHandle("/proc/loadavg");
            int read = Interop.PReadCall.Read(_loadAverageFile, _loadAverageBytes, 0, out _);
            if (read <= 0)
            {
                return; // keep the previous value
            }

            var line = _loadAverageBytes.AsSpan(0, read);
            int newline = line.IndexOf((byte)'\n');
            line = (newline >= 0 ? line[..newline] : line).Trim((byte)' ');
            if (!line.SequenceEqual(_loadAverageText.AsSpan(0, _loadAverageLength)))
            {
                line.CopyTo(_loadAverageText);
                _loadAverageLength = line.Length;
                _loadAverage = null;
            }
        }
        catch (IOException)
        {
            // Keep the previous value; the field is informational.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private enum LoopInputKind
    {
        Datagram,
        Tick,

        /// <summary>Nothing to feed the engine: a control request waits for this loop turn.</summary>
        Wake,
    }

    private readonly record struct LoopInput(LoopInputKind Kind, ReceivedDatagram Datagram)
    {
        public static LoopInput Tick => new(LoopInputKind.Tick, default);

        public static LoopInput Wake => new(LoopInputKind.Wake, default);

        public static LoopInput From(ReceivedDatagram datagram) => new(LoopInputKind.Datagram, datagram);
    }
}

/// <summary>What the group worker does with a group.</summary>
internal enum GroupAction
{
    Acquire,
    Release,
    Announce,
}
