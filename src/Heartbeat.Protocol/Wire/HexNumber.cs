namespace Heartbeat.Protocol.Wire;

/// <summary>
/// Numbers as Heartbeat writes them in fields (seq, hg, ts, dt, ackseq): lowercase hex without padding or prefix, the
/// text of C's <c>%lx</c>. Span-based, so the keepalive path formats and parses them without allocating.
/// </summary>
public static class HexNumber
{
    /// <summary>Digits of the largest value: 16.</summary>
    public const int MaxDigits = 16;

    /// <summary>Writes <paramref name="value"/> as ASCII into <paramref name="output"/>; returns the number of bytes.</summary>
    public static int Write(ulong value, Span<byte> output)
    {
        int digits = 1;
        for (ulong rest = value >> 4; rest != 0; rest >>= 4)
        {
            digits++;
        }

        for (int i = digits - 1; i >= 0; i--)
        {
            output[i] = Digit((int)(value & 0xF));
            value >>= 4;
        }

        return digits;
    }

    /// <summary>
    /// Reads 1–16 hex digits, either case, nothing else (no sign, space or prefix): what
    /// <see cref="HaMessage.TryGetHex"/> accepts.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > MaxDigits)
        {
            return false;
        }

        foreach (byte b in text)
        {
            int digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                value = 0;
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        return true;
    }

    internal static byte Digit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
