using System.Security.Cryptography;
using System.Text;
using Heartbeat.Protocol.Auth;

namespace Heartbeat.Protocol.Tests.Auth;

/// <summary>The managed digests against the RFC vectors and, on many random inputs, the platform's (OpenSSL) own.</summary>
public sealed class ManagedDigestsTests
{
    [Theory]
    [InlineData("", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("abc", "900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("message digest", "f96b697d7cb7938d525a2f31aaf161d0")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a")]
    public void Md5_matches_rfc1321(string text, string expected)
    {
        Span<byte> digest = stackalloc byte[16];
        ManagedDigests.Md5(Encoding.ASCII.GetBytes(text), digest);
        Assert.Equal(expected, Convert.ToHexStringLower(digest));
    }

    [Theory]
    [InlineData("abc", "a9993e364706816aba3e25717850c26c9cd0d89d")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1")]
    [InlineData("", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    public void Sha1_matches_fips180(string text, string expected)
    {
        Span<byte> digest = stackalloc byte[20];
        ManagedDigests.Sha1(Encoding.ASCII.GetBytes(text), digest);
        Assert.Equal(expected, Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Hmacs_match_rfc2202()
    {
        Span<byte> mac = stackalloc byte[20];
        ManagedDigests.HmacMd5(Encoding.ASCII.GetBytes("Jefe"), Encoding.ASCII.GetBytes("what do ya want for nothing?"), mac);
        Assert.Equal("750c783e6ab0b503eaa86e310a5db738", Convert.ToHexStringLower(mac[..16]));
        ManagedDigests.HmacSha1(Encoding.ASCII.GetBytes("Jefe"), Encoding.ASCII.GetBytes("what do ya want for nothing?"), mac);
        Assert.Equal("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", Convert.ToHexStringLower(mac));

        // A key longer than a block is hashed first (RFC 2202 test 6).
        byte[] longKey = Enumerable.Repeat((byte)0xaa, 80).ToArray();
        byte[] data = Encoding.ASCII.GetBytes("Test Using Larger Than Block-Size Key - Hash Key First");
        ManagedDigests.HmacMd5(longKey, data, mac);
        Assert.Equal("6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd", Convert.ToHexStringLower(mac[..16]));
        ManagedDigests.HmacSha1(longKey, data, mac);
        Assert.Equal("aa4ae5e15272d00e95705637ce8a3b55ed402112", Convert.ToHexStringLower(mac));
    }

    [Fact]
    public void Every_length_and_key_size_agrees_with_the_platform()
    {
        var random = new Random(694);
        Span<byte> ours = stackalloc byte[20];
        for (int length = 0; length < 300; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            byte[] key = new byte[random.Next(0, 150)];
            random.NextBytes(key);

            ManagedDigests.Md5(data, ours);
            Assert.Equal(MD5.HashData(data), ours[..16].ToArray());
            ManagedDigests.Sha1(data, ours);
            Assert.Equal(SHA1.HashData(data), ours.ToArray());
            ManagedDigests.HmacMd5(key, data, ours);
            Assert.Equal(HMACMD5.HashData(key, data), ours[..16].ToArray());
            ManagedDigests.HmacSha1(key, data, ours);
            Assert.Equal(HMACSHA1.HashData(key, data), ours.ToArray());
        }
    }
}
