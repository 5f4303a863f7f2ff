using System.Buffers;
using System.Buffers.Text;
using System.Collections.Immutable;

namespace Heartbeat.Protocol.Wire;

/// <summary>
/// The classic framing (wire-format.md §2.2): <c>&gt;&gt;&gt;\n</c>, one <c>[(t)]name=text</c> line per field,
/// <c>&lt;&lt;&lt;\n</c>. 3.0.6 never sends it on UDP, but accepts it, puts it inside compressed payloads when
/// <c>msgfmt classic</c>, and computes the inner <c>auth</c> digest over the same line rendering.
/// </summary>
public static class ClassicCodec
{
    /// <summary>Strings replace each LF with this byte in their text form.</summary>
    internal const byte StringNewlineSymbol = 0x13;

    /// <summary>A nested message at nesting level d (0 = a field of the top message) replaces LF with 0x14 + d.</summary>
    internal const byte FirstNestedNewlineSymbol = 0x14;

    internal static ReadOnlySpan<byte> Header => ">>>\n"u8;

    internal static ReadOnlySpan<byte> Footer => "<<<\n"u8;

    /// <summary>Decodes a classic message at the start of <paramref name="input"/>; <paramref name="consumed"/> covers up to and including <c>&lt;&lt;&lt;\n</c>.</summary>
    public static WireResult<HaMessage> Decode(ReadOnlySpan<byte> input, out int consumed)
    {
        int fieldBudget = WireLimits.MaxFields;
        return Decode(input, 0, 0, ref fieldBudget, out consumed);
    }

    internal static WireResult<HaMessage> Decode(ReadOnlySpan<byte> input, int baseOffset, int depth, ref int fieldBudget, out int consumed)
    {
        consumed = 0;
        if (depth > WireLimits.MaxNestingDepth)
        {
            return WireResult<HaMessage>.Fail(WireErrorCode.NestingTooDeep, baseOffset, $"nested messages deeper than {WireLimits.MaxNestingDepth} levels");
        }

        if (!input.StartsWith(Header))
        {
            return WireResult<HaMessage>.Fail(WireErrorCode.UnknownFraming, baseOffset, "message does not start with >>>\\n");
        }

        var fields = ImmutableArray.CreateBuilder<HaField>();
        int pos = Header.Length;
        while (true)
        {
            int lineEnd = input[pos..].IndexOf((byte)'\n');
            if (lineEnd < 0)
            {
                return WireResult<HaMessage>.Fail(WireErrorCode.UnexpectedEnd, baseOffset + pos, "message ends before <<<\\n");
            }

            var line = input.Slice(pos, lineEnd);
            int lineOffset = baseOffset + pos;
            pos += lineEnd + 1;
            if (line.IsEmpty)
            {
                continue; // 3.0.6 skips blank lines.
            }

            if (line.SequenceEqual("<<<"u8))
            {
                consumed = pos;
                return new HaMessage(fields.ToImmutable());
            }

            if (--fieldBudget < 0)
            {
                return WireResult<HaMessage>.Fail(WireErrorCode.TooManyFields, lineOffset, $"more than {WireLimits.MaxFields} fields");
            }

            var field = DecodeLine(line, lineOffset, depth, ref fieldBudget);
            if (!field.IsOk)
            {
                return WireResult<HaMessage>.Fail(field.Error);
            }

            fields.Add(field.Value);
        }
    }

    private static WireResult<HaField> DecodeLine(ReadOnlySpan<byte> line, int offset, int depth, ref int fieldBudget)
    {
        var type = FieldType.String;
        int nameStart = 0;
        if (line[0] == (byte)'(')
        {
            if (line.Length < 3 || line[2] != (byte)')')
            {
                return WireResult<HaField>.Fail(WireErrorCode.BadTypeTag, offset, "'(' does not open a (n) type tag");
            }

            if (!FieldCodec.TryParseTypeTag(line[1], out type))
            {
                return WireResult<HaField>.Fail(WireErrorCode.BadTypeTag, offset + 1, $"type tag '{(char)line[1]}' is not 0-5");
            }

            nameStart = 3;
        }

        var rest = line[nameStart..];
        int equals = rest.IndexOf((byte)'=');
        if (equals < 0)
        {
            // 3.0.6: "ha_msg_add_nv_depth: line doesn't contain '='", and the whole packet fails.
            return WireResult<HaField>.Fail(WireErrorCode.MissingEquals, offset, "line has no '='");
        }

        if (FieldCodec.CheckName(rest[..equals], offset + nameStart) is { } nameError)
        {
            return WireResult<HaField>.Fail(nameError);
        }

        string name = Latin1.GetString(rest[..equals]);
        var text = rest[(equals + 1)..];
        int textOffset = offset + nameStart + equals + 1;
        switch (type)
        {
            case FieldType.String:
                if (text.IndexOf((byte)0) is int nul and >= 0)
                {
                    return WireResult<HaField>.Fail(WireErrorCode.NulInString, textOffset + nul, $"NUL inside string field '{name}'");
                }

                var value = text.ToArray();
                value.AsSpan().Replace(StringNewlineSymbol, (byte)'\n');
                return HaField.FromDecoded(name, type, value, null, default);
            case FieldType.Binary:
            case FieldType.Compressed:
                var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
                if (Base64.DecodeFromUtf8(text, decoded, out _, out int written) != OperationStatus.Done)
                {
                    return WireResult<HaField>.Fail(WireErrorCode.BadBase64, textOffset, $"field '{name}' is not valid base64");
                }

                return HaField.FromDecoded(name, type, decoded[..written], null, default);
            case FieldType.List:
                if (!PackedList.TryParse(text, textOffset, out var items, out var listError))
                {
                    return WireResult<HaField>.Fail(listError);
                }

                return HaField.FromDecoded(name, type, null, null, items);
            default:
                var nestedText = text.ToArray();
                nestedText.AsSpan().Replace((byte)(FirstNestedNewlineSymbol + depth), (byte)'\n');
                var nested = Decode(nestedText, textOffset, depth + 1, ref fieldBudget, out int used);
                if (!nested.IsOk)
                {
                    return WireResult<HaField>.Fail(nested.Error);
                }

                if (used != nestedText.Length)
                {
                    return WireResult<HaField>.Fail(WireErrorCode.BadLength, textOffset + used, $"bytes after the nested message in field '{name}'");
                }

                return HaField.FromDecoded(name, type, null, nested.Value, default);
        }
    }

    /// <summary>Writes a complete classic message: header, lines, footer, and the NUL that 3.0.6 puts after it inside compressed payloads.</summary>
    public static void Encode(HaMessage message, IBufferWriter<byte> output, bool trailingNul)
    {
        EncodeAtDepth(message, output, 0);
        if (trailingNul)
        {
            output.Write([(byte)0]);
        }
    }

    public static byte[] Encode(HaMessage message, bool trailingNul)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Encode(message, buffer, trailingNul);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The input of the inner <c>auth</c> digest (wire-format.md §4.3a): the field lines in packet order, without
    /// header and footer, skipping every field named <c>auth</c>, each line ending in LF.
    /// </summary>
    public static void RenderDigestInput(HaMessage message, IBufferWriter<byte> output) => RenderLines(message, output, 0, skipAuth: true);

    public static byte[] RenderDigestInput(HaMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        RenderDigestInput(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void EncodeAtDepth(HaMessage message, IBufferWriter<byte> output, int depth)
    {
        output.Write(Header);
        RenderLines(message, output, depth, skipAuth: false);
        output.Write(Footer);
    }

    private static void RenderLines(HaMessage message, IBufferWriter<byte> output, int depth, bool skipAuth)
    {
        foreach (var field in message.Fields)
        {
            if (skipAuth && field.Name == WireFields.Auth)
            {
                continue;
            }

            if (field.Type != FieldType.String)
            {
                // Strings carry no tag in classic form; every other type does.
                output.Write([(byte)'(', (byte)('0' + (int)field.Type), (byte)')']);
            }

            output.Write(Latin1.GetBytes(field.Name));
            output.Write("="u8);
            switch (field.Type)
            {
                case FieldType.String:
                    var text = field.RawBytes.ToArray();
                    text.AsSpan().Replace((byte)'\n', StringNewlineSymbol);
                    output.Write(text);
                    break;
                case FieldType.Binary:
                case FieldType.Compressed:
                    var base64 = output.GetSpan(Base64.GetMaxEncodedToUtf8Length(field.RawBytes.Length));
                    Base64.EncodeToUtf8(field.RawBytes, base64, out _, out int written);
                    output.Advance(written);
                    break;
                case FieldType.List:
                    PackedList.Write(field.Items, output);
                    break;
                default:
                    var nested = new ArrayBufferWriter<byte>();
                    EncodeAtDepth(field.Message, nested, depth + 1);
                    var nestedText = nested.WrittenSpan.ToArray();
                    nestedText.AsSpan().Replace((byte)'\n', (byte)(FirstNestedNewlineSymbol + depth));
                    output.Write(nestedText);
                    break;
            }

            output.Write("\n"u8);
        }
    }
}
