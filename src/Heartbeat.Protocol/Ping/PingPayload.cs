using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Ping;

/// <summary>
/// The payload 3.0.6's ping, ping6 and ping_group plugins put in every echo request: a signed <c>NS_st</c> message
/// (<c>t=NS_st st=ping info=&lt;plugin&gt; src=&lt;ping node&gt; ts=&lt;the status's ts&gt;</c>, then the inner auth and the
/// trailer). A reply counts only if it carries such a message signed with our keys: another program's echo replies
/// on the same host (same raw socket, maybe the same identifier) can never make a dead gateway look alive.
/// </summary>
public static class PingPayload
{
    public const string NsStatus = "NS_st";
    public const string PingStatus = "ping";

    /// <summary>The message has five fields plus auth; a little room for a peer's extras is harmless.</summary>
    private const int MaxFields = 12;

    /// <summary>
    /// Writes the payload into <paramref name="output"/> (written in place with <see cref="DatagramWriter"/>: nothing
    /// allocated per probe). Returns its length, or 0 when it cannot be written in place (a name with a byte above
    /// U+00FF, a buffer too small): the caller then sends nothing and the node goes dead, which the log explains.
    /// </summary>
    /// <param name="scratch">Room for the classic rendering the inner digest covers (about as long as the output).</param>
    public static int Write(Span<byte> output, Span<byte> scratch, PingKind kind, string node, ulong timestamp, AuthKeys keys, bool classicFormat)
    {
        var writer = new DatagramWriter(output, scratch);
        writer.AddString("t"u8, NsStatus);
        writer.AddString("st"u8, PingStatus);
        writer.AddString("info"u8, PingNodeEntry.PluginName(kind));
        writer.AddString("src"u8, node);
        writer.AddHex("ts"u8, timestamp);

        // Never compressed: the message is a few hundred bytes at most, far below any compression_threshold.
        var options = classicFormat ? ClassicOptions : NetstringOptions;
        return writer.TryFinish(keys, options, out int length) ? length : 0;
    }

    private static readonly WireOptions ClassicOptions = new() { ClassicFormat = true };
    private static readonly WireOptions NetstringOptions = new() { ClassicFormat = false };

    /// <summary>
    /// Whether <paramref name="payload"/> is one of our payloads: netstring-framed, the trailer valid for one of our
    /// keys, <c>t=NS_st</c>, <c>st=ping</c>, <c>info</c> naming one of the plugins (3.0.6's read checks its own), with
    /// a <c>src</c> (returned as its place in the payload) and a <c>ts</c>.
    /// </summary>
    public static bool TryVerify(ReadOnlySpan<byte> payload, AuthKeys keys, out PingKind kind, out Range node, out ulong timestamp)
    {
        kind = default;
        node = default;
        timestamp = 0;
        Span<FieldSlice> room = stackalloc FieldSlice[MaxFields];
        if (!FlatDatagram.TryRead(payload, room, out var packet) || !packet.HasValidTrailer(keys))
        {
            return false;
        }

        if (!packet.StringEquals("t"u8, "NS_st"u8) || !packet.StringEquals("st"u8, "ping"u8)
            || !packet.TryGetString("info"u8, out var info) || !TryPluginKind(info, out kind)
            || !packet.TryGetString("src"u8, out var src) || !packet.TryGetHex("ts"u8, out timestamp)
            || !payload.Overlaps(src, out int offset))
        {
            return false;
        }

        node = new Range(offset, offset + src.Length);
        return true;
    }

    private static bool TryPluginKind(ReadOnlySpan<byte> info, out PingKind kind)
    {
        kind = info.SequenceEqual("ping"u8) ? PingKind.Ping : info.SequenceEqual("ping6"u8) ? PingKind.Ping6 : PingKind.PingGroup;
        return kind != PingKind.PingGroup || info.SequenceEqual("ping_group"u8);
    }
}
