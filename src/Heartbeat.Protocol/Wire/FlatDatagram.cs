using System.Globalization;
using System.Security.Cryptography;
using Heartbeat.Protocol.Auth;

namespace Heartbeat.Protocol.Wire;

/// <summary>Where one field of a <see cref="FlatDatagram"/> lies in the datagram.</summary>
public readonly record struct FieldSlice(int NameStart, int NameLength, FieldType Type, int ValueStart, int ValueLength);

/// <summary>
/// A netstring datagram of String and Binary fields with a trailer, read in place: the fields are located, not copied,
/// and the trailer is checked without allocating. This is the keepalive path's reader. It takes only what the general
/// decoder (<see cref="DatagramCodec.Decode"/>) reads the same way: anything else (classic framing, compression, nested
/// or list fields, more fields than the caller's room, bytes after the trailer, any malformation) is refused, and the
/// caller hands the datagram to the general decoder, which accepts it or names the problem.
/// </summary>
public readonly ref struct FlatDatagram
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly ReadOnlySpan<FieldSlice> _fields;
    private readonly int _blockLength;
    private readonly int _keyIndex;
    private readonly int _digestStart;
    private readonly int _digestLength;

    private FlatDatagram(ReadOnlySpan<byte> bytes, ReadOnlySpan<FieldSlice> fields, int blockLength, int keyIndex, int digestStart, int digestLength)
    {
        _bytes = bytes;
        _fields = fields;
        _blockLength = blockLength;
        _keyIndex = keyIndex;
        _digestStart = digestStart;
        _digestLength = digestLength;
    }

    public int FieldCount => _fields.Length;

    /// <summary>Locates the fields of <paramref name="datagram"/> in <paramref name="room"/>; false when the general decoder must read it.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, Span<FieldSlice> room, out FlatDatagram result)
    {
        result = default;
        if (datagram.Length > WireLimits.MaxDatagram || !datagram.StartsWith(NetstringCodec.Header))
        {
            return false;
        }

        int pos = NetstringCodec.Header.Length;
        int count = 0;
        while (!datagram[pos..].StartsWith(NetstringCodec.Footer))
        {
            if (count == room.Length || !DecimalLength.TryRead(datagram, ref pos, out int length)
                || length < 5 || length > datagram.Length - pos - 1 || datagram[pos + length] != (byte)',')
            {
                return false;
            }

            var item = datagram.Slice(pos, length);
            if (item[0] != (byte)'(' || item[2] != (byte)')' || item[1] is not ((byte)'0' or (byte)'1'))
            {
                return false;
            }

            var type = item[1] == (byte)'0' ? FieldType.String : FieldType.Binary;
            int equals = item[3..].IndexOf((byte)'=');
            if (equals <= 0 || FieldCodec.CheckName(item.Slice(3, equals), 0) is not null)
            {
                return false;
            }

            int valueStart = pos + 3 + equals + 1;
            int valueLength = length - 3 - equals - 1;
            var name = item.Slice(3, equals);
            if ((type == FieldType.String && datagram.Slice(valueStart, valueLength).Contains((byte)0))
                || name.SequenceEqual("_compressed_payload"u8))
            {
                return false;
            }

            room[count++] = new FieldSlice(pos + 3, equals, type, valueStart, valueLength);
            pos += length + 1;
        }

        int blockLength = pos + NetstringCodec.Footer.Length;

        // The trailer, exactly as DatagramCodec reads it: len:idx hex, and nothing after it.
        int trailerPos = blockLength;
        if (!DecimalLength.TryRead(datagram, ref trailerPos, out int contentLength) || contentLength > 64
            || contentLength != datagram.Length - trailerPos - 1 || datagram[^1] != (byte)',')
        {
            return false;
        }

        var content = datagram.Slice(trailerPos, contentLength);
        int space = content.IndexOf((byte)' ');
        if (space <= 0 || !int.TryParse(content[..space], NumberStyles.None, CultureInfo.InvariantCulture, out int keyIndex))
        {
            return false;
        }

        result = new FlatDatagram(datagram, room[..count], blockLength, keyIndex, trailerPos + space + 1, contentLength - space - 1);
        return true;
    }

    /// <summary>
    /// Whether the trailer's digest is right for the key of the index it names (what our daemon checks, see
    /// <see cref="TrailerKeySelection.PacketIndex"/>), compared byte-exact and in constant time.
    /// </summary>
    public bool HasValidTrailer(AuthKeys keys)
    {
        if (!keys.Keys.TryGetValue(_keyIndex, out var key))
        {
            return false;
        }

        Span<byte> computed = stackalloc byte[Digests.MaxHexLength];
        int length = Digests.ComputeHex(key, _bytes[.._blockLength], computed);
        return CryptographicOperations.FixedTimeEquals(_bytes.Slice(_digestStart, _digestLength), computed[..length]);
    }

    /// <summary>The value of the first field named <paramref name="name"/>, if that field is a String (as <see cref="HaMessage.GetString"/>).</summary>
    public bool TryGetString(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value) => TryGet(name, FieldType.String, out value);

    /// <summary>The value of the first field named <paramref name="name"/>, if that field is Binary.</summary>
    public bool TryGetBinary(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value) => TryGet(name, FieldType.Binary, out value);

    /// <summary>A String field of hex digits, as <see cref="HaMessage.TryGetHex"/> reads it.</summary>
    public bool TryGetHex(ReadOnlySpan<byte> name, out ulong value)
    {
        value = 0;
        return TryGetString(name, out var text) && HexNumber.TryParse(text, out value);
    }

    /// <summary>Whether the first field named <paramref name="name"/> is a String equal to <paramref name="expected"/>.</summary>
    public bool StringEquals(ReadOnlySpan<byte> name, ReadOnlySpan<byte> expected) => TryGetString(name, out var value) && value.SequenceEqual(expected);

    private bool TryGet(ReadOnlySpan<byte> name, FieldType type, out ReadOnlySpan<byte> value)
    {
        foreach (var field in _fields)
        {
            if (_bytes.Slice(field.NameStart, field.NameLength).SequenceEqual(name))
            {
                value = field.Type == type ? _bytes.Slice(field.ValueStart, field.ValueLength) : default;
                return field.Type == type;
            }
        }

        value = default;
        return false;
    }
}
