using System.Buffers;
using System.Collections.Immutable;

namespace Heartbeat.Protocol.Wire;

/// <summary>
/// The netstring framing (wire-format.md §2.1): <c>###\n</c>, fields <c>len:(t)name=value,</c>, <c>%%%\n</c>.
/// This class handles one block; the trailer after it belongs to <see cref="DatagramCodec"/>.
/// </summary>
public static class NetstringCodec
{
    internal static ReadOnlySpan<byte> Header => "###\n"u8;

    internal static ReadOnlySpan<byte> Footer => "%%%\n"u8;

    /// <summary>Decodes one block at the start of <paramref name="input"/>; <paramref name="consumed"/> is its length.</summary>
    public static WireResult<HaMessage> DecodeBlock(ReadOnlySpan<byte> input, out int consumed)
    {
        int fieldBudget = WireLimits.MaxFields;
        return DecodeBlock(input, 0, 0, ref fieldBudget, out consumed);
    }

    internal static WireResult<HaMessage> DecodeBlock(ReadOnlySpan<byte> input, int baseOffset, int depth, ref int fieldBudget, out int consumed)
    {
        consumed = 0;
        if (depth > WireLimits.MaxNestingDepth)
        {
            return WireResult<HaMessage>.Fail(WireErrorCode.NestingTooDeep, baseOffset, $"nested messages deeper than {WireLimits.MaxNestingDepth} levels");
        }

        if (!input.StartsWith(Header))
        {
            return WireResult<HaMessage>.Fail(WireErrorCode.UnknownFraming, baseOffset, "block does not start with ###\\n");
        }

        var fields = ImmutableArray.CreateBuilder<HaField>();
        int pos = Header.Length;
        while (true)
        {
            if (pos >= input.Length)
            {
                return WireResult<HaMessage>.Fail(WireErrorCode.UnexpectedEnd, baseOffset + pos, "block ends before %%%\\n");
            }

            if (input[pos..].StartsWith(Footer))
            {
                consumed = pos + Footer.Length;
                return new HaMessage(fields.ToImmutable());
            }

            if (--fieldBudget < 0)
            {
                return WireResult<HaMessage>.Fail(WireErrorCode.TooManyFields, baseOffset + pos, $"more than {WireLimits.MaxFields} fields");
            }

            int itemStart = pos;
            if (!DecimalLength.TryRead(input, ref pos, out int length))
            {
                return WireResult<HaMessage>.Fail(WireErrorCode.BadLength, baseOffset + itemStart, "field does not start with a decimal length and ':'");
            }

            if (length > input.Length - pos - 1)
            {
                return WireResult<HaMessage>.Fail(WireErrorCode.BadLength, baseOffset + itemStart, $"field length {length} runs past the end of the block");
            }

            if (input[pos + length] != (byte)',')
            {
                return WireResult<HaMessage>.Fail(WireErrorCode.MissingFieldTerminator, baseOffset + pos + length, "field is not followed by ','");
            }

            var field = DecodeField(input.Slice(pos, length), baseOffset + pos, depth, ref fieldBudget);
            if (!field.IsOk)
            {
                return WireResult<HaMessage>.Fail(field.Error);
            }

            fields.Add(field.Value);
            pos += length + 1;
        }
    }

    private static WireResult<HaField> DecodeField(ReadOnlySpan<byte> item, int offset, int depth, ref int fieldBudget)
    {
        if (item.Length < 3 || item[0] != (byte)'(' || item[2] != (byte)')')
        {
            // 3.0.6 always writes the (n) tag, also for strings.
            return WireResult<HaField>.Fail(WireErrorCode.MissingTypeTag, offset, "field does not start with a (n) type tag");
        }

        if (!FieldCodec.TryParseTypeTag(item[1], out var type))
        {
            return WireResult<HaField>.Fail(WireErrorCode.BadTypeTag, offset + 1, $"type tag '{(char)item[1]}' is not 0-5");
        }

        var rest = item[3..];
        int equals = rest.IndexOf((byte)'=');
        if (equals < 0)
        {
            return WireResult<HaField>.Fail(WireErrorCode.MissingEquals, offset, "field has no '='");
        }

        var nameCheck = FieldCodec.CheckName(rest[..equals], offset + 3);
        if (nameCheck is { } nameError)
        {
            return WireResult<HaField>.Fail(nameError);
        }

        string name = Latin1.GetString(rest[..equals]);
        var value = rest[(equals + 1)..];
        int valueOffset = offset + 3 + equals + 1;
        switch (type)
        {
            case FieldType.String:
                int nul = value.IndexOf((byte)0);
                if (nul >= 0)
                {
                    // 3.0.6 aborts on this ("stringlen does not match"); we refuse the packet instead.
                    return WireResult<HaField>.Fail(WireErrorCode.NulInString, valueOffset + nul, $"NUL inside string field '{name}'");
                }

                return HaField.FromDecoded(name, type, value.ToArray(), null, default);
            case FieldType.Binary:
            case FieldType.Compressed:
                return HaField.FromDecoded(name, type, value.ToArray(), null, default);
            case FieldType.List:
                if (!PackedList.TryParse(value, valueOffset, out var items, out var listError))
                {
                    return WireResult<HaField>.Fail(listError);
                }

                return HaField.FromDecoded(name, type, null, null, items);
            default:
                var nested = DecodeBlock(value, valueOffset, depth + 1, ref fieldBudget, out int used);
                if (!nested.IsOk)
                {
                    return WireResult<HaField>.Fail(nested.Error);
                }

                if (used != value.Length)
                {
                    return WireResult<HaField>.Fail(WireErrorCode.BadLength, valueOffset + used, $"bytes after the nested message in field '{name}'");
                }

                return HaField.FromDecoded(name, type, null, nested.Value, default);
        }
    }

    /// <summary>Writes the block exactly as a 3.0.6 node does: header, every field with its (n) tag, footer; no trailer.</summary>
    public static void EncodeBlock(HaMessage message, IBufferWriter<byte> output)
    {
        output.Write(Header);
        foreach (var field in message.Fields)
        {
            DecimalLength.Write(ItemLength(field), output);
            output.Write(":("u8);
            output.Write([(byte)('0' + (int)field.Type)]);
            output.Write(")"u8);
            output.Write(Latin1.GetBytes(field.Name));
            output.Write("="u8);
            switch (field.Type)
            {
                case FieldType.String:
                case FieldType.Binary:
                case FieldType.Compressed:
                    output.Write(field.RawBytes);
                    break;
                case FieldType.List:
                    PackedList.Write(field.Items, output);
                    break;
                default:
                    EncodeBlock(field.Message, output);
                    break;
            }

            output.Write(","u8);
        }

        output.Write(Footer);
    }

    public static byte[] EncodeBlock(HaMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        EncodeBlock(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The netstring length of one field: <c>(t)</c>, the name (Latin-1: one byte per char), '=', the value.</summary>
    private static int ItemLength(HaField field) => 3 + field.Name.Length + 1 + field.Type switch
    {
        FieldType.String or FieldType.Binary or FieldType.Compressed => field.RawBytes.Length,
        FieldType.List => PackedList.Length(field.Items),
        _ => BlockLength(field.Message),
    };

    private static int BlockLength(HaMessage message)
    {
        int total = Header.Length + Footer.Length;
        foreach (var field in message.Fields)
        {
            int itemLength = ItemLength(field);
            total += DecimalLength.Digits(itemLength) + 1 + itemLength + 1;
        }

        return total;
    }
}
