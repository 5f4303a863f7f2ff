using System.Globalization;
using System.Security.Cryptography;
using Heartbeat.Protocol.Compression;

namespace Heartbeat.Protocol.Auth;

/// <summary>The digest functions and their exact text forms (wire-format.md §4.2).</summary>
public static class Digests
{
    /// <summary>Hex text of the digest as 3.0.6 writes it: lowercase; crc without leading zeros (<c>printf %lx</c>).</summary>
    public static string Compute(AuthMethod method, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => method switch
    {
        // Keyed HMAC (RFC 2104), not a hash of key+data. HMACMD5/HMACSHA1 hash keys over 64 bytes first, as the RFC and 3.0.6 do.
        AuthMethod.Md5 => Convert.ToHexStringLower(HMACMD5.HashData(key, data)),
        AuthMethod.Sha1 => Convert.ToHexStringLower(HMACSHA1.HashData(key, data)),
        _ => Crc(data).ToString("x", CultureInfo.InvariantCulture),
    };

    /// <summary>Keyless CRC-32/CKSUM core: poly 0x04C11DB7, init 0, MSB first, final XOR 0xFFFFFFFF, no length appended. check("123456789") = 765e7680.</summary>
    public static uint Crc(ReadOnlySpan<byte> data) => ~Crc32Msb.Update(0, data);
}
