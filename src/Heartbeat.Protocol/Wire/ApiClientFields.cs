namespace Heartbeat.Protocol.Wire;

/// <summary>
/// The fields heartbeat's API (hb_api.c, api_process_request) puts on every message a named client sends to the
/// cluster: its client id as sender and addressee, and its generation. A 3.0.6 node delivers such a message to that
/// client on the other nodes; its own handlers (the resource negotiation, say) act on it whoever sent it.
/// </summary>
public static class ApiClientFields
{
    public const string FromId = "from_id";
    public const string ToId = "to_id";
    public const string ClientGeneration = "client_gen";

    /// <summary>The three fields, in the order the API adds them, for client <paramref name="clientId"/> (generation 0: signed on once).</summary>
    public static HaField[] Stamp(string clientId) =>
    [
        HaField.String(FromId, clientId),
        HaField.String(ToId, clientId),
        HaField.String(ClientGeneration, "0"),
    ];
}
