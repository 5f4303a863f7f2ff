using Heartbeat.Protocol.Membership;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Logging;

/// <summary>
/// The membership layer's log lines. Event ids are stable (1xx); the texts keep 3.0.6's wording where admins and
/// scripts grep for it ("node X: is dead", "Link X:IF up.", "Heartbeat restart on node X", …).
/// </summary>
internal static partial class MembershipLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Starting heartbeat (HeartbeatNet {Version}) as node {Node}, uuid {Uuid}, generation {Generation}")]
    public static partial void Starting(ILogger logger, string version, string node, string uuid, ulong generation);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "No uuid found for current node - generated a new uuid {Uuid} in {Path}")]
    public static partial void UuidCreated(ILogger logger, string uuid, string path);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Medium {Medium} open: sending to {Destination}")]
    public static partial void MediumOpen(ILogger logger, string medium, string destination);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Listening on {Receiver}")]
    public static partial void Listening(ILogger logger, string receiver);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Local status now set to: '{Status}'")]
    public static partial void LocalStatus(ILogger logger, string status);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Comm_now_up(): updating status to active ({Elapsed} ms after start, node list exchanged: {Handshake})")]
    public static partial void CommunicationUp(ILogger logger, long elapsed, bool handshake);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Status update for node {Peer}: status {Status}")]
    public static partial void StatusUpdate(ILogger logger, string peer, string status);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "node {Peer}: is dead (silent for {Silence} ms, deadtime {Window} ms{NeverHeard})")]
    public static partial void NodeDead(ILogger logger, string peer, long silence, long window, string neverHeard);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Link {Peer}:{Interface} {State}.")]
    public static partial void Link(ILogger logger, string peer, string @interface, string state);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Late heartbeat: Node {Peer}: interval {Interval} ms")]
    public static partial void LateHeartbeat(ILogger logger, string peer, long interval);

    [LoggerMessage(EventId = 114, Level = LogLevel.Critical, Message = "Late heartbeat: Node {Peer}: interval {Interval} ms (> deadtime)")]
    public static partial void LateHeartbeatBeyondDeadtime(ILogger logger, string peer, long interval);

    [LoggerMessage(EventId = 115, Level = LogLevel.Information, Message = "Heartbeat restart on node {Peer} (generation {OldGeneration} -> {NewGeneration})")]
    public static partial void NodeRestarted(ILogger logger, string peer, ulong oldGeneration, ulong newGeneration);

    [LoggerMessage(EventId = 116, Level = LogLevel.Critical, Message = "Cluster node {Peer} returning after partition (generation {Generation}).")]
    public static partial void ReturnedAfterPartition(ILogger logger, string peer, ulong generation);

    [LoggerMessage(EventId = 117, Level = LogLevel.Information, Message = "Received shutdown notice from '{Peer}'.")]
    public static partial void ShutdownNotice(ILogger logger, string peer);

    [LoggerMessage(EventId = 118, Level = LogLevel.Information, Message = "flow control disabled due to different version heartbeat on {Peer}")]
    public static partial void FlowControlDisabled(ILogger logger, string peer);

    [LoggerMessage(EventId = 119, Level = LogLevel.Warning, Message = "Node list from {Peer} is [{Theirs}], ours is [{Ours}]; keeping ours (ha.cf)")]
    public static partial void NodeListMismatch(ILogger logger, string peer, string theirs, string ours);

    [LoggerMessage(EventId = 120, Level = LogLevel.Debug, Message = "Node list {Direction} {Peer}")]
    public static partial void NodeListExchange(ILogger logger, string direction, string peer);

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "{Count} lost packet(s) for [{Peer}] [{First}:{Last}]")]
    public static partial void PacketsLost(ILogger logger, ulong count, string peer, ulong first, ulong last);

    [LoggerMessage(EventId = 131, Level = LogLevel.Warning, Message = "lost a lot of packets from [{Peer}] [{First}:{Last}]: sequence tracking restarted")]
    public static partial void TrackingReset(ILogger logger, string peer, ulong first, ulong last);

    [LoggerMessage(EventId = 132, Level = LogLevel.Information, Message = "No pkts missing from {Peer}!")]
    public static partial void GapsClosed(ILogger logger, string peer);

    [LoggerMessage(EventId = 133, Level = LogLevel.Warning, Message = "Irretrievably lost packet: node {Peer} seq {Seq}")]
    public static partial void Irretrievable(ILogger logger, string peer, ulong seq);

    [LoggerMessage(EventId = 134, Level = LogLevel.Information, Message = "rexmit requested: node {Peer} seq {Seq} (attempt {Attempt})")]
    public static partial void RetransmitRequested(ILogger logger, string peer, ulong seq, int attempt);

    [LoggerMessage(EventId = 135, Level = LogLevel.Information, Message = "rexmit served: node {Peer} seq {Seq}: {Outcome}")]
    public static partial void RetransmitServed(ILogger logger, string peer, ulong seq, RetransmitOutcome outcome);

    [LoggerMessage(EventId = 140, Level = LogLevel.Warning, Message = "Rejected packet on {Interface} from {Peer}: {Reason}: {Detail} ({Count} for this reason so far, {Suppressed} not logged since the last report)")]
    public static partial void PacketRejected(ILogger logger, string @interface, string peer, RejectReason reason, string detail, long count, long suppressed);

    [LoggerMessage(EventId = 141, Level = LogLevel.Warning, Message = "Cannot send on {Medium}: {Error} (errno {Errno}; {Count} send errors so far)")]
    public static partial void SendFailed(ILogger logger, string medium, string error, int errno, long count);

    [LoggerMessage(EventId = 142, Level = LogLevel.Warning, Message = "Receive error on {Interface}: {Error} (errno {Errno})")]
    public static partial void ReceiveFailed(ILogger logger, string @interface, string error, int errno);

    [LoggerMessage(EventId = 150, Level = LogLevel.Warning, Message = "Event loop was paused for {Paused} ms (GC, SIGSTOP or CPU starvation): peers get a fresh window before any is declared dead")]
    public static partial void LocalStall(ILogger logger, long paused);

    [LoggerMessage(EventId = 151, Level = LogLevel.Debug, Message = "Message {Type} from {Peer} for the resource layer")]
    public static partial void ClusterMessage(ILogger logger, string type, string peer);

    [LoggerMessage(EventId = 160, Level = LogLevel.Information, Message = "Counters: received {Received}, sent {Sent}, duplicates {Duplicates}, rejected {Rejected} [{ByReason}], rexmit requested {Requested}, rexmit served {Served}, late heartbeats {Late} (worst {Worst} ms); managed heap: {AllocatedBytes} bytes allocated since start, {Collections} collections, {LoopAllocatedBytes} bytes of them by the event loop")]
    public static partial void Counters(ILogger logger, long received, long sent, long duplicates, long rejected, string byReason, long requested, long served, long late, long worst, long allocatedBytes, int collections, long loopAllocatedBytes);

    [LoggerMessage(EventId = 161, Level = LogLevel.Information, Message = "Memory trimmed: managed heap {HeapBytes} bytes, {CommittedBytes} bytes committed, {Pause:0.00} ms pause ({AllocatedBytes} bytes allocated since the last trim)")]
    public static partial void MemoryTrimmed(ILogger logger, long heapBytes, long committedBytes, double pause, long allocatedBytes);

    [LoggerMessage(EventId = 170, Level = LogLevel.Information, Message = "Shutting down: stopping resource groups, then sending shutdone")]
    public static partial void ShuttingDown(ILogger logger);

    [LoggerMessage(EventId = 171, Level = LogLevel.Information, Message = "Heartbeat shutdown complete.")]
    public static partial void ShutdownComplete(ILogger logger);

    [LoggerMessage(EventId = 172, Level = LogLevel.Critical, Message = "Cannot start: {Reason}")]
    public static partial void CannotStart(ILogger logger, string reason);

    [LoggerMessage(EventId = 173, Level = LogLevel.Information, Message = "Resource planner: {Action} group {Group} ({Reason})")]
    public static partial void PlannerAction(ILogger logger, string action, string group, string reason);

    [LoggerMessage(EventId = 174, Level = LogLevel.Warning, Message = "haresources placement (v1) is defined for two nodes; with {Count} nodes this node takes part in membership only and places no resources")]
    public static partial void PlannerNeedsTwoNodes(ILogger logger, int count);

    [LoggerMessage(EventId = 180, Level = LogLevel.Information, Message = "Reload: {Outcome}")]
    public static partial void ReloadResult(ILogger logger, string outcome);

    [LoggerMessage(EventId = 181, Level = LogLevel.Warning, Message = "{Diagnostic}")]
    public static partial void ConfigDiagnostic(ILogger logger, string diagnostic);

    [LoggerMessage(EventId = 182, Level = LogLevel.Information, Message = "hbctl {Command} {Argument}")]
    public static partial void ControlCommand(ILogger logger, string command, string argument);

    [LoggerMessage(EventId = 183, Level = LogLevel.Error, Message = "Group {Group} failed to start here: {Reason}; it is handed to the peer when the cluster is stable (3.0.6: hb_standby foreign after 30 s)")]
    public static partial void GroupStartFailed(ILogger logger, string group, string reason);

    [LoggerMessage(EventId = 184, Level = LogLevel.Information, Message = "Control socket listening on {Path} (root only)")]
    public static partial void ControlListening(ILogger logger, string path);

    [LoggerMessage(EventId = 185, Level = LogLevel.Warning, Message = "Control socket request refused: {Reason}")]
    public static partial void ControlRequestBad(ILogger logger, string reason);

    [LoggerMessage(EventId = 186, Level = LogLevel.Error, Message = "Control socket {Path} cannot be opened: {Reason}; hbctl will not reach this daemon")]
    public static partial void ControlUnavailable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 187, Level = LogLevel.Warning, Message = "Taking over group {Group} from {Peer}: {Reason}")]
    public static partial void Takeover(ILogger logger, string group, string peer, string reason);

    [LoggerMessage(EventId = 192, Level = LogLevel.Information, Message = "Group {Group}: first {Frame} handed to the kernel {Microseconds} µs after the acquisition was decided (worker {WorkerMicroseconds} µs, address requested {AddressMicroseconds} µs; decided at {DecidedAt})")]
    public static partial void FirstAnnouncement(ILogger logger, string group, string frame, long microseconds, long workerMicroseconds, long addressMicroseconds, string decidedAt);

    [LoggerMessage(EventId = 193, Level = LogLevel.Information, Message = "Group {Group}: {Action} {Outcome} {Milliseconds} ms after it was decided ({Cause})")]
    public static partial void GroupDone(ILogger logger, string group, string action, string outcome, long milliseconds, string cause);

    [LoggerMessage(EventId = 188, Level = LogLevel.Warning, Message = "Reload refused, the running configuration stays: {Reason} ({Count})")]
    public static partial void ReloadRefused(ILogger logger, string reason, int count);

    [LoggerMessage(EventId = 189, Level = LogLevel.Information, Message = "Reload applied: {Change}")]
    public static partial void ReloadApplied(ILogger logger, string change);

    [LoggerMessage(EventId = 190, Level = LogLevel.Warning, Message = "Incoming datagram dropped: the event loop's queue is full (a flood?); {Count} dropped so far")]
    public static partial void InputDropped(ILogger logger, long count);
}
