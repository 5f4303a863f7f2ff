using System.Text;

namespace Heartbeat.Protocol.Wire;

/// <summary>
/// Heartbeat strings are C byte strings. ISO-8859-1 maps every byte to the char with the same value and
/// back, so decoding a field as Latin-1 and encoding it again is lossless: byte-exact re-encoding holds for any value.
/// </summary>
internal static class Latin1
{
    public static string GetString(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    public static byte[] GetBytes(string text)
    {
        foreach (char c in text)
        {
            if (c > '\u00ff')
            {
                throw new ArgumentException($"Character U+{(int)c:X4} cannot be sent: Heartbeat fields are single-byte strings.", nameof(text));
            }
        }

        return Encoding.Latin1.GetBytes(text);
    }

    /// <summary>The bytes of <paramref name="text"/>, or null if a character cannot be sent (for comparisons only).</summary>
    public static byte[]? TryGetBytes(string text) => text.All(c => c <= '\u00ff') ? Encoding.Latin1.GetBytes(text) : null;
}
