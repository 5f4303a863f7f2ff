using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Auth;

/// <summary>Outcome of checking one digest.</summary>
public enum AuthStatus
{
    Valid,

    /// <summary>No trailer (netstring) or no <c>auth</c> field.</summary>
    Missing,

    /// <summary>The trailer or <c>auth</c> field is not <c>idx hex</c>.</summary>
    Malformed,

    /// <summary>The packet names a key index we do not have (3.0.6: "Invalid authentication [5] in message!").</summary>
    UnknownIndex,

    /// <summary>The digest differs (byte-exact compare: upper-case hex is a mismatch, as on 3.0.6).</summary>
    Mismatch,
}

/// <summary>A digest verdict with what was sent and what we computed, for logs and <c>hbctl decode</c>.</summary>
public readonly record struct AuthVerdict(AuthStatus Status, int? KeyIndex = null, string? Sent = null, string? Computed = null)
{
    public bool IsValid => Status == AuthStatus.Valid;

    public override string ToString() => Status switch
    {
        AuthStatus.Valid => $"ok(key {KeyIndex})",
        AuthStatus.Mismatch => $"MISMATCH(key {KeyIndex}: sent {Sent}, expected {Computed})",
        AuthStatus.UnknownIndex => $"UNKNOWN-KEY({KeyIndex})",
        _ => Status.ToString().ToUpperInvariant(),
    };
}

/// <summary>Which key checks a trailer.</summary>
public enum TrailerKeySelection
{
    /// <summary>Method and key of the index written in the packet: correct, and what our daemon does.</summary>
    PacketIndex,

    /// <summary>
    /// 3.0.6's bug (wire-format.md §4.5): the method of the packet's index but the key of the receiver's own active
    /// index. Used only to predict whether a real 3.0.6 peer with these keys would accept a packet.
    /// </summary>
    Heartbeat306,
}

/// <summary>How outgoing messages are framed (the <c>msgfmt</c>, <c>compression</c> and related ha.cf directives).</summary>
public sealed record WireOptions
{
    /// <summary><c>msgfmt classic</c> (the default) adds the inner <c>auth</c> field; it never changes the on-wire framing.</summary>
    public bool ClassicFormat { get; init; } = true;

    public bool TraditionalCompression { get; init; }

    /// <summary><c>compression_threshold</c> in bytes (the directive is in KiB, default 2).</summary>
    public int CompressionThreshold { get; init; } = 2 * 1024;

    public static WireOptions Default { get; } = new();
}

/// <summary>Signs outgoing messages and verifies received datagrams with the keys of one authkeys file.</summary>
public sealed class Authenticator(AuthKeys keys)
{
    public AuthKeys Keys { get; } = keys;

    /// <summary>
    /// Renders a message to the exact datagram a 3.0.6 node would send: inner <c>auth</c> field as the last field
    /// (classic format, no type 2/4/5 fields), whole-message compression when due, netstring block, trailer.
    /// </summary>
    public byte[] Encode(HaMessage message, WireOptions options)
    {
        var signed = message.Remove(WireFields.Auth);
        if (options.ClassicFormat && !signed.HasStructuredFields)
        {
            signed = signed.Add(HaField.String(WireFields.Auth, InnerAuthValue(signed)));
        }

        var block = NetstringCodec.EncodeBlock(signed);
        if (NeedsCompression(signed, block.Length, options))
        {
            // The payload is the full message in the sender's msgfmt: classic text + NUL (with its auth line), or a netstring block.
            byte[] inner = options.ClassicFormat ? ClassicCodec.Encode(signed, trailingNul: true) : block;
            var wrapper = new HaMessage(
            [
                HaField.Binary(WireFields.CompressedPayload, Compression.PayloadCompression.CompressZlib(inner)),
                HaField.String(WireFields.CompressionAlgorithm, "zlib"),
            ]);
            block = NetstringCodec.EncodeBlock(wrapper);
        }

        var output = new ArrayBufferWriter<byte>(block.Length + 64);
        output.Write(block);
        DatagramCodec.WriteTrailer(Keys.ActiveIndex, Digests.Compute(Keys.Active.Method, Keys.Active.Secret.AsSpan(), block), output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The value of the inner <c>auth</c> field: <c>idx hex</c> over the classic rendering of every other field.</summary>
    public string InnerAuthValue(HaMessage message)
    {
        var key = Keys.Active;
        return string.Create(CultureInfo.InvariantCulture, $"{key.Index} {Digests.Compute(key.Method, key.Secret.AsSpan(), ClassicCodec.RenderDigestInput(message))}");
    }

    /// <summary>What a receiver checks (wire-format.md §4.4): the trailer of a netstring packet, the <c>auth</c> field of a classic one.</summary>
    public AuthVerdict Verify(WireDatagram datagram) =>
        datagram.Framing == Framing.Netstring ? VerifyTrailer(datagram, TrailerKeySelection.PacketIndex) : VerifyInner(datagram.Message);

    public AuthVerdict VerifyTrailer(WireDatagram datagram, TrailerKeySelection selection)
    {
        switch (datagram.TrailerState)
        {
            case TrailerState.Missing:
                return new AuthVerdict(AuthStatus.Missing);
            case TrailerState.Malformed:
                return new AuthVerdict(AuthStatus.Malformed);
        }

        var trailer = datagram.Trailer!;
        if (!Keys.Keys.TryGetValue(trailer.KeyIndex, out var packetKey))
        {
            return new AuthVerdict(AuthStatus.UnknownIndex, trailer.KeyIndex, trailer.Digest);
        }

        var secret = selection == TrailerKeySelection.Heartbeat306 ? Keys.Active.Secret : packetKey.Secret;
        return Compare(trailer.KeyIndex, trailer.Digest, Digests.Compute(packetKey.Method, secret.AsSpan(), datagram.SignedRegion.Span));
    }

    /// <summary>Checks the inner <c>auth</c> field (the only authenticator of a classic packet) with the key of the index written in it.</summary>
    public AuthVerdict VerifyInner(HaMessage message)
    {
        string? value = message.GetString(WireFields.Auth);
        if (value is null)
        {
            return new AuthVerdict(AuthStatus.Missing);
        }

        int space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !int.TryParse(value.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            return new AuthVerdict(AuthStatus.Malformed, Sent: value);
        }

        string sent = value[(space + 1)..];
        if (!Keys.Keys.TryGetValue(index, out var key))
        {
            return new AuthVerdict(AuthStatus.UnknownIndex, index, sent);
        }

        return Compare(index, sent, Digests.Compute(key.Method, key.Secret.AsSpan(), ClassicCodec.RenderDigestInput(message)));
    }

    private static AuthVerdict Compare(int index, string sent, string computed)
    {
        // Byte-exact and constant-time: 3.0.6 compares case-sensitively, so upper-case hex is rejected.
        bool same = CryptographicOperations.FixedTimeEquals(Encoding.Latin1.GetBytes(sent), Encoding.Latin1.GetBytes(computed));
        return new AuthVerdict(same ? AuthStatus.Valid : AuthStatus.Mismatch, index, sent, computed);
    }

    private static bool NeedsCompression(HaMessage message, int netstringLength, WireOptions options)
    {
        // Any message of MAXMSG or more is compressed whatever the settings (§9.2).
        if (netstringLength >= WireLimits.MaxDatagram)
        {
            return true;
        }

        if (!options.TraditionalCompression)
        {
            return false;
        }

        // 3.0.6 measures the classic rendering when msgfmt is classic.
        int length = options.ClassicFormat ? ClassicCodec.Encode(message, trailingNul: false).Length : netstringLength;
        return length > options.CompressionThreshold;
    }
}
