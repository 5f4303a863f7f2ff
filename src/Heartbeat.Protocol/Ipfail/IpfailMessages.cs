using System.Globalization;
using Heartbeat.Protocol.Resources;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Ipfail;

/// <summary>
/// The messages 3.0.6's ipfail exchanges with the ipfail of the other node, field for field as they reach the wire
/// (ipfail adds t, src and its own fields; the client library adds dest; heartbeat's API adds from_id, to_id and
/// client_gen; send_cluster_msg stamps the rest). A real 3.0.6 node delivers them to its ipfail by from_id/to_id.
/// </summary>
public static class IpfailMessages
{
    /// <summary>The client id ipfail signs on with, carried in from_id and to_id.</summary>
    public const string ClientId = "ipfail";

    /// <summary>T_APICLISTAT: heartbeat's notice that an API client joined (st=join) or left.</summary>
    public const string ClientStatus = "hbapi-clstat";

    public const string NumPingNodes = "num_ping_nodes";
    public const string YouAreDead = "you_are_dead";
    public const string AbortGiveup = "abort_giveup";

    public const string NumPing = "num_ping";
    public const string FromId = ApiClientFields.FromId;
    public const string ToId = ApiClientFields.ToId;
    public const string ClientGeneration = ApiClientFields.ClientGeneration;
    public const string Join = "join";

    /// <summary>Every type ipfail reads or sends (hbctl decode names them).</summary>
    public static readonly IReadOnlyList<string> Types = [ClientStatus, NumPingNodes, YouAreDead, AbortGiveup];

    /// <summary>
    /// The join notice heartbeat sends when ipfail signs on (api_send_client_status): the other ipfail answers it by
    /// comparing counts. 3.0.6 starts its respawn clients at comm up, so the notice goes out then.
    /// </summary>
    public static HaMessage JoinNotice(string local) => new(
    [
        HaField.String(WireFields.Type, ClientStatus),
        HaField.String(WireFields.Status, Join),
        HaField.String(FromId, ClientId),
        HaField.String(ToId, ClientId),
        HaField.String(WireFields.Src, local),
        HaField.String("info", "signon"),
        HaField.String(ClientGeneration, "0"),
    ]);

    /// <summary>ask_ping_nodes: our count, to the other node's ipfail.</summary>
    public static HaMessage AskPingNodes(string local, string peer, int count) => ToPeer(
    [
        HaField.String(WireFields.Type, NumPingNodes),
        HaField.String(WireFields.Src, local),
        HaField.String(NumPing, count.ToString(CultureInfo.InvariantCulture)),
    ], peer);

    /// <summary>you_are_dead: we see more ping nodes, so the other side should give up.</summary>
    public static HaMessage TellYouAreDead(string peer) => ToPeer([HaField.String(WireFields.Type, YouAreDead)], peer);

    /// <summary>abort_giveup: the counts are balanced, the other side cancels its delayed giveup.</summary>
    public static HaMessage TellAbortGiveup(string local, string peer) => ToPeer(
    [
        HaField.String(WireFields.Type, AbortGiveup),
        HaField.String(WireFields.Src, local),
    ], peer);

    /// <summary>Whether a message is the join notice of the ipfail of another node (msg_ipfail_join's test).</summary>
    public static bool IsOtherJoin(HaMessage message, string local) =>
        message.Type == ClientStatus && message.GetString(WireFields.Status) == Join
        && message.GetString(FromId) == ClientId && message.GetString(WireFields.Src) is { } src && src != local;

    /// <summary>
    /// The other node's count, read as ipfail's atoi does (leading digits, anything else 0); null without the field
    /// (3.0.6 would crash on it: we ignore the message).
    /// </summary>
    public static int? ReadCount(HaMessage message)
    {
        if (message.GetString(NumPing) is not { } text)
        {
            return null;
        }

        int digits = 0;
        while (digits < text.Length && digits < 9 && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        return digits == 0 ? 0 : int.Parse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// What an ipfail message means, for <c>hbctl decode</c>; null for any other message. Worded after the log lines
    /// each side writes about it (ipfail.c), naming the sender (src) and the addressee (dest, which the client library
    /// adds to every node message).
    /// </summary>
    public static string? Describe(HaMessage message)
    {
        string src = message.GetString(WireFields.Src) ?? "?";
        string dest = message.GetString(WireFields.Dest) ?? "?";
        return message.Type switch
        {
            NumPingNodes => $"ipfail: {src} sees {message.GetString(NumPing) ?? "?"} ping node(s) and asks {dest} for its count",
            YouAreDead => $"ipfail: {src} sees more ping nodes and tells {dest} to give up all its groups",
            AbortGiveup => $"ipfail: ping node counts are balanced; {src} tells {dest} to abort its delayed giveup",
            ClientStatus => $"API client {message.GetString(FromId) ?? "?"} on {src}: {message.GetString(WireFields.Status) ?? "?"}" +
                (message.GetString(FromId) == ClientId && message.GetString(WireFields.Status) == Join ? " (ipfail's join notice: the other ipfail answers with its count)" : string.Empty),

            // heartbeat's API stamps from_id on whatever a client sends; giveup() sends hb_standby's request through it
            // (ours too, see ResourcePlanner.RequestStandby's apiClient).
            _ when message.GetString(FromId) == ClientId && StandbyMessages.Describe(message) is { } standby => $"ipfail's giveup: {standby}",
            _ => null,
        };
    }

    private static HaMessage ToPeer(HaField[] fields, string peer) => new(
    [
        .. fields,
        HaField.String(WireFields.Dest, peer),
        .. ApiClientFields.Stamp(ClientId),
    ]);
}
