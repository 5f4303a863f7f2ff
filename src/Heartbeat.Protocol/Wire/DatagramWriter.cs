using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using Heartbeat.Protocol.Auth;

namespace Heartbeat.Protocol.Wire;

/// <summary>
/// Writes one flat message (String and Binary fields only) straight into caller-owned buffers as the datagram a 3.0.6
/// node sends: the netstring block, the inner <c>auth</c> field over the classic rendering, and the trailer. It yields
/// the same bytes as <see cref="Authenticator.Encode"/> for such a message, without building an <see cref="HaMessage"/>
/// or allocating anything: it is how the keepalive path sends. Anything it cannot write exactly as the general encoder
/// would (a value with NUL or a character above U+00FF, a message that needs compression, a buffer too small) makes
/// <see cref="TryFinish"/> return false, and the caller uses the general encoder, which reports the problem.
/// </summary>
public ref struct DatagramWriter
{
    private readonly Span<byte> _output;
    private readonly Span<byte> _digestInput;
    private int _length;
    private int _digestInputLength;
    private bool _failed;

    /// <param name="output">Receives the datagram.</param>
    /// <param name="digestInput">Scratch for the classic rendering the inner digest covers (about as long as the output).</param>
    public DatagramWriter(Span<byte> output, Span<byte> digestInput)
    {
        _output = output;
        _digestInput = digestInput;
        Append(NetstringCodec.Header);
    }

    /// <summary>A String field from Latin-1 text.</summary>
    public void AddString(scoped ReadOnlySpan<byte> name, string value)
    {
        if (!BeginField(name, FieldType.String, value.Length, out var target))
        {
            return;
        }

        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c is '\0' or > '\u00ff')
            {
                // Refused by HaField.String: NUL breaks a 3.0.6 receiver, and fields are single-byte strings.
                _failed = true;
                return;
            }

            target[i] = (byte)c;
        }

        EndStringField(name, target);
    }

    /// <summary>A String field from bytes.</summary>
    public void AddString(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        if (value.Contains((byte)0))
        {
            _failed = true;
            return;
        }

        if (BeginField(name, FieldType.String, value.Length, out var target))
        {
            value.CopyTo(target);
            EndStringField(name, target);
        }
    }

    /// <summary>A String field holding <paramref name="value"/> in lowercase hex, as seq, hg, ts, dt and ackseq are written.</summary>
    public void AddHex(scoped ReadOnlySpan<byte> name, ulong value)
    {
        Span<byte> digits = stackalloc byte[HexNumber.MaxDigits];
        AddString(name, digits[..HexNumber.Write(value, digits)]);
    }

    /// <summary>A String field holding <paramref name="value"/> in decimal.</summary>
    public void AddDecimal(scoped ReadOnlySpan<byte> name, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture);
        AddString(name, digits[..written]);
    }

    /// <summary>A Binary field: raw bytes on the wire, base64 in the classic rendering.</summary>
    public void AddBinary(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        if (!BeginField(name, FieldType.Binary, value.Length, out var target))
        {
            return;
        }

        value.CopyTo(target);
        AppendNetstringEnd();
        AppendDigestInput("(1)"u8);
        AppendDigestInput(name);
        AppendDigestInput("="u8);
        int encodedLength = Base64.GetMaxEncodedToUtf8Length(value.Length);
        if (_failed || _digestInputLength + encodedLength + 1 > _digestInput.Length)
        {
            _failed = true;
            return;
        }

        Base64.EncodeToUtf8(value, _digestInput[_digestInputLength..], out _, out int written);
        _digestInputLength += written;
        AppendDigestInput("\n"u8);
    }

    /// <summary>
    /// Adds the inner <c>auth</c> field (classic format), the footer and the trailer, signed with the active key.
    /// False when the message must take the general encoder (see the type's summary).
    /// </summary>
    public bool TryFinish(AuthKeys keys, WireOptions options, out int length)
    {
        length = 0;
        if (options.TraditionalCompression)
        {
            return false; // whether it compresses depends on the whole classic rendering: the general encoder decides
        }

        var key = keys.Active;
        Span<byte> signature = stackalloc byte[3 + Digests.MaxHexLength];
        if (options.ClassicFormat && !_failed)
        {
            int signatureLength = Signature(key, _digestInput[.._digestInputLength], signature);

            // Not part of its own digest input: the digest covers every field but auth.
            int digestInputLength = _digestInputLength;
            AddString("auth"u8, signature[..signatureLength]);
            _digestInputLength = digestInputLength;
        }

        Append(NetstringCodec.Footer);
        if (_failed || _length >= WireLimits.MaxDatagram)
        {
            return false;
        }

        int trailerLength = Signature(key, _output[.._length], signature);
        Span<byte> digits = stackalloc byte[11];
        trailerLength.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture);
        Append(digits[..written]);
        Append(":"u8);
        Append(signature[..trailerLength]);
        Append(","u8);
        length = _length;
        return !_failed;
    }

    /// <summary><c>idx hex</c>: the key index, a space, the digest text.</summary>
    private static int Signature(AuthKey key, ReadOnlySpan<byte> data, Span<byte> output)
    {
        key.Index.TryFormat(output, out int indexLength, default, CultureInfo.InvariantCulture);
        output[indexLength] = (byte)' ';
        return indexLength + 1 + Digests.ComputeHex(key, data, output[(indexLength + 1)..]);
    }

    /// <summary>Writes <c>len:(t)name=</c> and hands back the room for the value.</summary>
    private bool BeginField(scoped ReadOnlySpan<byte> name, FieldType type, int valueLength, out Span<byte> value)
    {
        value = default;
        int itemLength = 3 + name.Length + 1 + valueLength;
        Span<byte> digits = stackalloc byte[11];
        itemLength.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture);
        Append(digits[..written]);
        Append(":("u8);
        Append([(byte)('0' + (int)type)]);
        Append(")"u8);
        Append(name);
        Append("="u8);
        if (_failed || _length + valueLength + 1 > _output.Length)
        {
            _failed = true;
            return false;
        }

        value = _output.Slice(_length, valueLength);
        _length += valueLength;
        return true;
    }

    /// <summary>The field's ',' and its classic line: strings carry no type tag there, and LF becomes 0x13.</summary>
    private void EndStringField(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        AppendNetstringEnd();
        AppendDigestInput(name);
        AppendDigestInput("="u8);
        int start = _digestInputLength;
        AppendDigestInput(value);
        if (!_failed)
        {
            _digestInput[start.._digestInputLength].Replace((byte)'\n', ClassicCodec.StringNewlineSymbol);
        }

        AppendDigestInput("\n"u8);
    }

    private void AppendNetstringEnd() => Append(","u8);

    private void Append(scoped ReadOnlySpan<byte> bytes) => AppendTo(_output, ref _length, bytes);

    private void AppendDigestInput(scoped ReadOnlySpan<byte> bytes) => AppendTo(_digestInput, ref _digestInputLength, bytes);

    /// <summary>Copies or, when it does not fit (or an earlier step failed), marks the writer failed.</summary>
    private void AppendTo(Span<byte> target, ref int length, scoped ReadOnlySpan<byte> bytes)
    {
        if (_failed || length + bytes.Length > target.Length)
        {
            _failed = true;
            return;
        }

        bytes.CopyTo(target[length..]);
        length += bytes.Length;
    }
}
