using System.Text;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Auth;

public sealed class DigestTests
{
    [Fact]
    public void CrcIsCrc32PosixWithoutLeadingZeros()
    {
        Assert.Equal("765e7680", Digests.Compute(AuthMethod.Crc, [], "123456789"u8));
        Assert.Equal("ffffffff", Digests.Compute(AuthMethod.Crc, [], []));

        // printf %lx: find an input whose CRC has a leading zero nibble and check it is not padded.
        for (int i = 0; ; i++)
        {
            byte[] data = Encoding.ASCII.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (Digests.Crc(data) < 0x1000_0000)
            {
                string text = Digests.Compute(AuthMethod.Crc, [], data);
                Assert.False(text.StartsWith('0'));
                Assert.True(text.Length < 8);
                return;
            }
        }
    }

    [Theory]
    // RFC 2202 test vectors.
    [InlineData(AuthMethod.Md5, "Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738")]
    [InlineData(AuthMethod.Sha1, "Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")]
    public void HmacMatchesRfc2202(AuthMethod method, string key, string data, string expected) =>
        Assert.Equal(expected, Digests.Compute(method, Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(data)));

    [Theory]
    // RFC 2202 cases 6: keys of 80 bytes are hashed first.
    [InlineData(AuthMethod.Md5, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd")]
    [InlineData(AuthMethod.Sha1, "aa4ae5e15272d00e95705637ce8a3b55ed402112")]
    public void KeysLongerThan64BytesAreHashedFirst(AuthMethod method, string expected) =>
        Assert.Equal(expected, Digests.Compute(method, Enumerable.Repeat((byte)0xaa, 80).ToArray(), "Test Using Larger Than Block-Size Key - Hash Key First"u8));

    [Fact]
    public void DigestComparisonIsCaseSensitive()
    {
        var authenticator = new Authenticator(AuthKeys.FromSpec("1:md5:securepass"));
        byte[] signed = authenticator.Encode(new HaMessage([HaField.String("t", "status")]), WireOptions.Default);
        string text = Encoding.Latin1.GetString(signed);
        int comma = text.LastIndexOf(':');
        string upper = text[..(comma + 1)] + text[(comma + 1)..].ToUpperInvariant();
        var wire = DatagramCodec.Decode(Encoding.Latin1.GetBytes(upper)).Value;
        Assert.Equal(AuthStatus.Mismatch, authenticator.Verify(wire).Status);
    }

    [Fact]
    public void UnknownKeyIndexesAreReportedAsSuch()
    {
        var signer = new Authenticator(AuthKeys.FromSpec("5:md5:x"));
        var receiver = new Authenticator(AuthKeys.FromSpec("1:md5:x"));
        var wire = DatagramCodec.Decode(signer.Encode(new HaMessage([HaField.String("t", "status")]), WireOptions.Default)).Value;
        Assert.Equal(new AuthVerdict(AuthStatus.UnknownIndex, 5, wire.Trailer!.Digest), receiver.Verify(wire));
        Assert.Equal(AuthStatus.UnknownIndex, receiver.VerifyInner(wire.Message).Status);
    }

    [Fact]
    public void The306KeySelectionBugIsOnlyModelledNotApplied()
    {
        // Receiver: auth 1 with 1 md5 KeyOne and 2 sha1 KeyTwo; sender signs with index 2.
        var receiver = new Authenticator(AuthKeys.FromSpec("1:md5:KeyOne,2:sha1:KeyTwo"));
        var sender = new Authenticator(AuthKeys.FromSpec("2:sha1:KeyTwo,1:md5:KeyOne"));
        var wire = DatagramCodec.Decode(sender.Encode(new HaMessage([HaField.String("t", "status")]), WireOptions.Default)).Value;
        Assert.True(receiver.Verify(wire).IsValid);
        Assert.Equal(AuthStatus.Mismatch, receiver.VerifyTrailer(wire, TrailerKeySelection.Heartbeat306).Status);
    }

    [Theory]
    [InlineData(AuthMethod.Crc)]
    [InlineData(AuthMethod.Md5)]
    [InlineData(AuthMethod.Sha1)]
    public void A_keys_prepared_hmac_gives_the_one_off_digest_for_every_key_and_data_length(AuthMethod method)
    {
        var random = new Random(694);
        Span<byte> prepared = stackalloc byte[Digests.MaxHexLength];
        Span<byte> oneOff = stackalloc byte[Digests.MaxHexLength];
        foreach (int keyLength in new[] { 1, 20, 63, 64, 65, 80, 150 })
        {
            byte[] secret = new byte[method == AuthMethod.Crc ? 0 : keyLength];
            random.NextBytes(secret);
            var key = new AuthKey(1, method, [.. secret]);
            for (int length = 0; length < 300; length += 7)
            {
                byte[] data = new byte[length];
                random.NextBytes(data);
                int a = Digests.ComputeHex(key, data, prepared);
                int b = Digests.ComputeHex(method, secret, data, oneOff);
                Assert.Equal(Encoding.ASCII.GetString(oneOff[..b]), Encoding.ASCII.GetString(prepared[..a]));
            }
        }
    }

    [Fact]
    public void A_copy_of_a_key_with_another_secret_signs_with_its_own_secret()
    {
        var first = new AuthKey(1, AuthMethod.Sha1, [.. "first"u8]);
        Span<byte> hex = stackalloc byte[Digests.MaxHexLength];
        Digests.ComputeHex(first, "data"u8, hex);
        var second = first with { Secret = [.. "second"u8] };
        int length = Digests.ComputeHex(second, "data"u8, hex);
        Assert.Equal(Digests.Compute(AuthMethod.Sha1, "second"u8, "data"u8), Encoding.ASCII.GetString(hex[..length]));
        Assert.NotEqual(first, second);
        Assert.Equal(first, first with { });
    }
}
