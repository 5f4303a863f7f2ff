using Heartbeat.Protocol.Compression;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Auth;

/// <summary>The digest functions and their exact text forms (wire-format.md §4.2).</summary>
public static class Digests
{
    /// <summary>The longest digest text: sha1, 40 hex digits.</summary>
    public const int MaxHexLength = 2 * ManagedDigests.Sha1Size;

    /// <summary>Hex text of the digest as 3.0.6 writes it: lowercase; crc without leading zeros (<c>printf %lx</c>).</summary>
    public static string Compute(AuthMethod method, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        Span<byte> hex = stackalloc byte[MaxHexLength];
        int length = ComputeHex(method, key, data, hex);
        return System.Text.Encoding.ASCII.GetString(hex[..length]);
    }

    /// <summary>
    /// The same text as <see cref="Compute"/>, written as ASCII bytes into <paramref name="hex"/> (at least
    /// <see cref="MaxHexLength"/> long); returns its length. Prepares the key each time: for one-off digests.
    /// </summary>
    public static int ComputeHex(AuthMethod method, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> hex) =>
        method is AuthMethod.Md5 or AuthMethod.Sha1 ? MacHex(ManagedDigests.HmacKey.For(method, key), data, hex) : HexNumber.Write(Crc(data), hex);

    /// <summary>
    /// <see cref="ComputeHex(AuthMethod, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> with the key's prepared
    /// HMAC state: what the keepalive path signs and checks with (no allocation once the key is prepared).
    /// </summary>
    public static int ComputeHex(AuthKey key, ReadOnlySpan<byte> data, Span<byte> hex) =>
        key.Method is AuthMethod.Md5 or AuthMethod.Sha1 ? MacHex(key.Hmac, data, hex) : HexNumber.Write(Crc(data), hex);

    /// <summary>Keyed HMAC (RFC 2104), not a hash of key+data; keys over 64 bytes were hashed first, as the RFC and 3.0.6 do.</summary>
    private static int MacHex(ManagedDigests.HmacKey hmac, ReadOnlySpan<byte> data, Span<byte> hex)
    {
        Span<byte> mac = stackalloc byte[ManagedDigests.Sha1Size];
        hmac.Compute(data, mac);
        return WriteLowerHex(mac[..hmac.Size], hex);
    }

    private static int WriteLowerHex(ReadOnlySpan<byte> bytes, Span<byte> hex)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            hex[2 * i] = HexNumber.Digit(bytes[i] >> 4);
            hex[(2 * i) + 1] = HexNumber.Digit(bytes[i] & 0xF);
        }

        return 2 * bytes.Length;
    }

    /// <summary>Keyless CRC-32/CKSUM core: poly 0x04C11DB7, init 0, MSB first, final XOR 0xFFFFFFFF, no length appended. check("123456789") = 765e7680.</summary>
    public static uint Crc(ReadOnlySpan<byte> data) => ~Crc32Msb.Update(0, data);
}
