using System.Buffers;
using System.Globalization;
using Heartbeat.Protocol.Compression;

namespace Heartbeat.Protocol.Wire;

/// <summary>
/// Whole datagrams: framing detection, the netstring trailer, and whole-message compression (wire-format.md §2, §9.2).
/// <see cref="Decode"/> is total: any input yields a <see cref="WireDatagram"/> or a typed <see cref="WireError"/>.
/// </summary>
public static class DatagramCodec
{
    /// <summary>The largest trailer content: a two-digit index, a space and 40 hex digits (sha1), with room to spare.</summary>
    private const int MaxTrailerContent = 64;

    /// <summary>The whole datagram, a compressed payload inflated (tools, tests; see <see cref="DecodeOuter"/> for receivers).</summary>
    public static WireResult<WireDatagram> Decode(ReadOnlyMemory<byte> datagram)
    {
        var outer = DecodeOuter(datagram);
        return outer.IsOk ? DecompressPayload(outer.Value) : outer;
    }

    /// <summary>
    /// A compressed payload inflated, once the packet is authenticated: the signature covers the compressed bytes, and
    /// inflating first would let anyone make us spend megabytes per packet (a 37-byte bzip2 stream may declare a
    /// 900 kB block, found by fuzzing). Returns <paramref name="outer"/> itself when there is nothing to inflate.
    /// </summary>
    public static WireResult<WireDatagram> DecompressPayload(WireDatagram outer) =>
        outer.IsCompressed || outer.Message.Find(WireFields.CompressedPayload) is null ? outer : Decompress(outer);

    /// <summary>The datagram's framing, fields and trailer, without inflating a compressed payload: enough to authenticate.</summary>
    public static WireResult<WireDatagram> DecodeOuter(ReadOnlyMemory<byte> datagram)
    {
        var span = datagram.Span;
        if (span.IsEmpty)
        {
            return WireResult<WireDatagram>.Fail(WireErrorCode.Empty, 0, "empty datagram");
        }

        if (span.Length > WireLimits.MaxDatagram)
        {
            return WireResult<WireDatagram>.Fail(WireErrorCode.TooLarge, WireLimits.MaxDatagram, $"datagram of {span.Length} bytes exceeds {WireLimits.MaxDatagram}");
        }

        WireDatagram outer;
        if (span.StartsWith(NetstringCodec.Header))
        {
            var block = NetstringCodec.DecodeBlock(span, out int blockLength);
            if (!block.IsOk)
            {
                return WireResult<WireDatagram>.Fail(block.Error);
            }

            outer = WithTrailer(datagram, block.Value, blockLength);
        }
        else if (span.StartsWith(ClassicCodec.Header))
        {
            var message = ClassicCodec.Decode(span, out int used);
            if (!message.IsOk)
            {
                return WireResult<WireDatagram>.Fail(message.Error);
            }

            bool nul = used < span.Length && span[used] == 0;
            outer = new WireDatagram
            {
                Framing = Framing.Classic,
                Message = message.Value,
                SignedRegion = datagram[..used],
                ClassicTrailingNul = nul,
                TrailingBytes = span.Length - used - (nul ? 1 : 0),
            };
        }
        else
        {
            // 3.0.6 drops these silently; for us it is a counted rejection.
            return WireResult<WireDatagram>.Fail(WireErrorCode.UnknownFraming, 0, "datagram starts with neither ###\\n nor >>>\\n");
        }

        return outer;
    }

    private static WireDatagram WithTrailer(ReadOnlyMemory<byte> datagram, HaMessage message, int blockLength)
    {
        var rest = datagram.Span[blockLength..];
        var result = new WireDatagram
        {
            Framing = Framing.Netstring,
            Message = message,
            SignedRegion = datagram[..blockLength],
        };
        if (rest.IsEmpty)
        {
            return result;
        }

        int pos = 0;
        if (!DecimalLength.TryRead(rest, ref pos, out int length) || length > MaxTrailerContent)
        {
            return Malformed(result, rest.Length, "no 'len:' before the trailer");
        }

        if (length > rest.Length - pos - 1 || rest[pos + length] != (byte)',')
        {
            return Malformed(result, rest.Length, "trailer length does not match its content or ',' is missing");
        }

        var content = rest.Slice(pos, length);
        int space = content.IndexOf((byte)' ');
        if (space <= 0 || !int.TryParse(content[..space], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            return Malformed(result, rest.Length, "trailer does not start with a decimal key index and a space");
        }

        return result with
        {
            TrailerState = TrailerState.Present,
            Trailer = new WireTrailer(index, Latin1.GetString(content[(space + 1)..])),
            TrailingBytes = rest.Length - pos - length - 1,
        };
    }

    private static WireDatagram Malformed(WireDatagram result, int trailing, string problem) =>
        result with { TrailerState = TrailerState.Malformed, TrailerProblem = problem, TrailingBytes = trailing };

    private static WireResult<WireDatagram> Decompress(WireDatagram outer)
    {
        var payloadField = outer.Message.Find(WireFields.CompressedPayload)!;
        if (payloadField.Type != FieldType.Binary)
        {
            return WireResult<WireDatagram>.Fail(WireErrorCode.BadCompressedPayload, 0, $"{WireFields.CompressedPayload} is {payloadField.Type}, not Binary");
        }

        string? algorithmName = outer.Message.GetString(WireFields.CompressionAlgorithm);
        if (!PayloadCompression.TryParseWireName(algorithmName, out var algorithm))
        {
            return WireResult<WireDatagram>.Fail(WireErrorCode.UnknownCompression, 0, $"unknown compression algorithm '{algorithmName}'");
        }

        if (!PayloadCompression.TryDecompress(algorithm, payloadField.Bytes, WireLimits.MaxUncompressed, out var inflated, out string problem))
        {
            var code = problem.StartsWith("decompressed data exceeds", StringComparison.Ordinal) ? WireErrorCode.DecompressedTooLarge : WireErrorCode.DecompressionFailed;
            return WireResult<WireDatagram>.Fail(code, 0, problem);
        }

        // Classic inner text ends in NUL (msgfmt classic); a netstring block has no trailer (msgfmt netstring).
        WireResult<HaMessage> inner;
        Framing framing;
        int used;
        if (inflated.AsSpan().StartsWith(ClassicCodec.Header))
        {
            framing = Framing.Classic;
            inner = ClassicCodec.Decode(inflated, out used);
        }
        else
        {
            framing = Framing.Netstring;
            inner = NetstringCodec.DecodeBlock(inflated, out used);
        }

        if (!inner.IsOk)
        {
            var e = inner.Error;
            return WireResult<WireDatagram>.Fail(WireErrorCode.BadCompressedPayload, e.Offset, $"inside the compressed payload: {e}");
        }

        if (inner.Value.Find(WireFields.CompressedPayload) is not null)
        {
            return WireResult<WireDatagram>.Fail(WireErrorCode.BadCompressedPayload, 0, "compressed payload inside a compressed payload");
        }

        return outer with
        {
            Payload = inner.Value,
            PayloadFraming = framing,
            PayloadAlgorithm = algorithmName,
            PayloadBytes = inflated,
        };
    }

    /// <summary>Appends the trailer <c>len:idx hex,</c> for an already computed digest.</summary>
    public static void WriteTrailer(int keyIndex, string digest, IBufferWriter<byte> output)
    {
        string content = string.Create(CultureInfo.InvariantCulture, $"{keyIndex} {digest}");
        DecimalLength.Write(content.Length, output);
        output.Write(":"u8);
        output.Write(Latin1.GetBytes(content));
        output.Write(","u8);
    }
}
