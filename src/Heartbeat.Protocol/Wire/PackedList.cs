using System.Buffers;
using System.Collections.Immutable;

namespace Heartbeat.Protocol.Wire;

/// <summary>The packed form of a type 3 list, <c>len:item,</c> repeated; the same bytes in both framings.</summary>
internal static class PackedList
{
    public static bool TryParse(ReadOnlySpan<byte> packed, int baseOffset, out ImmutableArray<byte[]> items, out WireError error)
    {
        var builder = ImmutableArray.CreateBuilder<byte[]>();
        int pos = 0;
        while (pos < packed.Length)
        {
            if (!DecimalLength.TryRead(packed, ref pos, out int length))
            {
                items = default;
                error = new WireError(WireErrorCode.BadList, baseOffset + pos, "list item length is not a decimal number followed by ':'");
                return false;
            }

            if (length == 0)
            {
                // 3.0.6 rejects the whole packet on a "0:" item (unpack_string_list: reading len of string error).
                items = default;
                error = new WireError(WireErrorCode.EmptyListItem, baseOffset + pos, "empty list item");
                return false;
            }

            if (length > packed.Length - pos - 1 || packed[pos + length] != (byte)',')
            {
                items = default;
                error = new WireError(WireErrorCode.BadList, baseOffset + pos, $"list item of {length} bytes overruns the value or lacks its ','");
                return false;
            }

            builder.Add(packed.Slice(pos, length).ToArray());
            pos += length + 1;
        }

        items = builder.ToImmutable();
        error = default;
        return true;
    }

    public static void Write(ImmutableArray<byte[]> items, IBufferWriter<byte> output)
    {
        foreach (var item in items)
        {
            DecimalLength.Write(item.Length, output);
            output.Write(":"u8);
            output.Write(item);
            output.Write(","u8);
        }
    }

    public static int Length(ImmutableArray<byte[]> items)
    {
        int total = 0;
        foreach (var item in items)
        {
            total += DecimalLength.Digits(item.Length) + 2 + item.Length;
        }

        return total;
    }
}

/// <summary>The decimal length prefix of netstrings: digits, then ':'.</summary>
internal static class DecimalLength
{
    /// <summary>Nine digits are enough for any length below the 2 MiB decompression cap, and cannot overflow an int.</summary>
    private const int MaxDigits = 9;

    public static bool TryRead(ReadOnlySpan<byte> input, ref int pos, out int value)
    {
        value = 0;
        int start = pos;
        while (pos < input.Length && input[pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (pos - start == MaxDigits)
            {
                return false;
            }

            value = (value * 10) + (input[pos] - '0');
            pos++;
        }

        if (pos == start || pos >= input.Length || input[pos] != (byte)':')
        {
            return false;
        }

        pos++;
        return true;
    }

    public static void Write(int value, IBufferWriter<byte> output)
    {
        Span<byte> digits = stackalloc byte[11];
        value.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        output.Write(digits[..written]);
    }

    public static int Digits(int value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
