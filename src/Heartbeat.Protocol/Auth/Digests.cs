using System.Globalization;
using Heartbeat.Protocol.Compression;

namespace Heartbeat.Protocol.Auth;

/// <summary>The digest functions and their exact text forms (wire-format.md §4.2).</summary>
public static class Digests
{
    /// <summary>Hex text of the digest as 3.0.6 writes it: lowercase; crc without leading zeros (<c>printf %lx</c>).</summary>
    public static string Compute(AuthMethod method, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        // Keyed HMAC (RFC 2104), not a hash of key+data; keys over 64 bytes are hashed first, as the RFC and 3.0.6 do.
        Span<byte> mac = stackalloc byte[ManagedDigests.Sha1Size];
        switch (method)
        {
            case AuthMethod.Md5:
                ManagedDigests.HmacMd5(key, data, mac);
                return Convert.ToHexStringLower(mac[..ManagedDigests.Md5Size]);
            case AuthMethod.Sha1:
                ManagedDigests.HmacSha1(key, data, mac);
                return Convert.ToHexStringLower(mac);
            default:
                return Crc(data).ToString("x", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Keyless CRC-32/CKSUM core: poly 0x04C11DB7, init 0, MSB first, final XOR 0xFFFFFFFF, no length appended. check("123456789") = 765e7680.</summary>
    public static uint Crc(ReadOnlySpan<byte> data) => ~Crc32Msb.Update(0, data);
}
