using System.Text.Json;
using System.Text.Json.Serialization;

namespace Heartbeat.Protocol.Control;

/// <summary>
/// The control socket's protocol (<c>&lt;run dir&gt;/control.sock</c>, root only): one JSON request per connection, one
/// JSON response, then the daemon closes. <see cref="Version"/> lets <c>hbctl</c> and the daemon refuse each other
/// clearly after an upgrade of only one of them.
/// </summary>
public sealed record ControlRequest(int Version, string Command, string? Argument = null)
{
    public const int CurrentVersion = 1;
}

/// <summary>The answer: <see cref="Ok"/> false with <see cref="Error"/> saying why; a status when one was asked for.</summary>
public sealed record ControlResponse(int Version, bool Ok, string? Error = null, string? Message = null, StatusReport? Status = null)
{
    /// <summary>A refusal, with why (hbctl prints it and exits non-zero).</summary>
    public static ControlResponse Refused(string why) => new(ControlRequest.CurrentVersion, Ok: false, Error: why);
}

/// <summary>What <c>hbctl status</c> shows: this node, its peers and links, and every resource group.</summary>
public sealed record StatusReport(
    string Node,
    string NodeStatus,
    ulong Generation,
    string AutoFailback,
    string ResourceState,
    string Holding,
    bool InTransition,
    IReadOnlyList<PeerReport> Peers,
    IReadOnlyList<GroupReport> Groups,
    string Uuid,
    string Version,
    IReadOnlyList<string> ConfiguredNodes,
    IReadOnlyList<string> LocalInterfaces,
    CountersReport Counters,
    ConfigReport Config,
    IReadOnlyList<RespawnReport>? Respawns = null,
    IReadOnlyList<PingNodeReport>? PingNodes = null,
    IpfailReport? Ipfail = null,
    IReadOnlyList<string>? NodeTable = null,
    FencingReport? Fencing = null);

/// <summary>STONITH: this node's device, its check at start, and every reset since start.</summary>
/// <param name="Device">The device's type and where its parameters come from.</param>
/// <param name="DeviceStatus">The start-up check (<c>stonith … -S</c>): "OK", why not, or null while it runs.</param>
public sealed record FencingReport(string Device, string? DeviceStatus, IReadOnlyList<FenceReport> Fences);

/// <summary>One dead node's reset.</summary>
/// <param name="State">waiting (the contender delay or a retry), resetting, reset.</param>
/// <param name="LastResult">OK, badhost, bad, or null before the first attempt ended.</param>
public sealed record FenceReport(string Node, string State, int Attempts, bool Delayed, string? LastResult, long? LastElapsedMilliseconds, string? LastDetail);

/// <summary>One ha.cf <c>respawn</c> line's child: its command, user, pid while it runs, restarts, state and how it last ended.</summary>
/// <param name="State">waiting, due, starting, running, stopped (exit 100 or could not start), respawning too fast, not run (ipfail, dopd), shut down.</param>
/// <param name="LastExit">"exit N" (128+N for signal N), why it could not start, or why it is not run.</param>
public sealed record RespawnReport(string Command, string User, int? Pid, int Restarts, string State, string? LastExit);

/// <summary>The running configuration in brief: timers as in effect (after any reload), media, the key's method, never a secret.</summary>
public sealed record ConfigReport(
    string Directory,
    long KeepaliveMilliseconds,
    long DeadtimeMilliseconds,
    long WarntimeMilliseconds,
    long InitdeadMilliseconds,
    int UdpPort,
    IReadOnlyList<string> Media,
    string Authentication,
    int ResourceGroups);

/// <summary>One medium's sending side: datagrams sent on it and sends that failed.</summary>
public sealed record MediumCounters(string Medium, long Sent, long SendErrors);

/// <summary>One receiving socket (bcast and ucast of an interface and port share one): datagrams read from it.</summary>
public sealed record SocketCounters(string Socket, long Received);

/// <summary>
/// Packets and events since the daemon started: rejected packets by reason, retransmissions, late heartbeats, takeovers,
/// per medium and per socket; <see cref="InputDropped"/> counts datagrams dropped because the event loop's queue was full
/// (a flood); <see cref="LoopAllocatedBytes"/> the managed bytes the event loop allocated since its first turn outside
/// control requests (constant in steady state: heartbeats are sent and received without allocating).
/// </summary>
public sealed record CountersReport(
    long Received,
    long Sent,
    long Duplicates,
    long SendErrors,
    IReadOnlyDictionary<string, long> RejectedByReason,
    long RetransmitRequestsSent,
    long RetransmissionsServed,
    long LateHeartbeats,
    long WorstLateMilliseconds,
    long Takeovers,
    IReadOnlyList<MediumCounters> Media,
    IReadOnlyList<SocketCounters> Sockets,
    long InputDropped,
    long LoopAllocatedBytes = 0);

public sealed record PeerReport(string Name, string Status, ulong Generation, long? LastHeardMilliseconds, bool Ours, IReadOnlyList<LinkReport> Links);

/// <summary>A link to a peer over one interface: up or dead, and when a packet last came over it.</summary>
public sealed record LinkReport(string Interface, bool Up, long? LastHeardMilliseconds = null);

/// <summary>
/// One haresources line: its home node, whether this node holds it, what it is doing, and the last transition with
/// its reason and time (a failed start names the resource and the script's message).
/// </summary>
/// <param name="LastFailure">The last failed start or stop here with its reason, kept until the group starts here again.</param>
/// <param name="Owner">The node holding it: this one, or the peer by its last resource report (legacy: by the ip-request exchange); null when none does or it is not known.</param>
/// <param name="OwnerKnown">False when this node cannot tell who holds it (legacy mode, before the peer answered our ip-request).</param>
public sealed record GroupReport(string Key, string Home, bool Held, string State, string? LastReason, DateTimeOffset? LastChange, string? LastFailure, string? Owner = null, bool OwnerKnown = true);

/// <summary>Source-generated (NativeAOT-safe) JSON for the control protocol.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
public sealed partial class ControlJsonContext : JsonSerializerContext
{
    /// <summary>Reads a request; null (never an exception) when the bytes are not one.</summary>
    public static ControlRequest? ParseRequest(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, Default.ControlRequest);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static ControlResponse? ParseResponse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, Default.ControlResponse);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static byte[] Serialize(ControlRequest request) => JsonSerializer.SerializeToUtf8Bytes(request, Default.ControlRequest);

    public static byte[] Serialize(ControlResponse response) => JsonSerializer.SerializeToUtf8Bytes(response, Default.ControlResponse);
}
