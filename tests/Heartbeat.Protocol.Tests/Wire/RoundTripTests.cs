using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Tests.Support;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Wire;

/// <summary>Property tests: random messages of every field type survive encode → decode unchanged.</summary>
public sealed class RoundTripTests
{
    private const int Iterations = 3000;

    [Fact]
    public void NetstringBlocksRoundTrip()
    {
        var generator = new RandomMessages(seed: 1);
        for (int i = 0; i < Iterations; i++)
        {
            var message = generator.Next(classicSafe: false);
            byte[] block = NetstringCodec.EncodeBlock(message);
            var decoded = NetstringCodec.DecodeBlock(block, out int used);
            Assert.True(decoded.IsOk, $"iteration {i}: {decoded.Error}");
            Assert.Equal(block.Length, used);
            Assert.Equal(message, decoded.Value);
            Assert.Equal(block, NetstringCodec.EncodeBlock(decoded.Value));
        }
    }

    [Fact]
    public void ClassicMessagesRoundTrip()
    {
        var generator = new RandomMessages(seed: 2);
        for (int i = 0; i < Iterations; i++)
        {
            var message = generator.Next(classicSafe: true);
            foreach (bool nul in new[] { false, true })
            {
                byte[] text = ClassicCodec.Encode(message, nul);
                var datagram = DatagramCodec.Decode(text);
                Assert.True(datagram.IsOk, $"iteration {i}: {datagram.Error}");
                Assert.Equal(Framing.Classic, datagram.Value.Framing);
                Assert.Equal(nul, datagram.Value.ClassicTrailingNul);
                Assert.Equal(message, datagram.Value.Message);
            }
        }
    }

    [Theory]
    [InlineData("1:crc")]
    [InlineData("1:md5:securepass")]
    [InlineData("7:sha1:Sha1TestKey")]
    public void SignedDatagramsVerifyAndDecodeToTheSameMessage(string spec)
    {
        var authenticator = new Authenticator(AuthKeys.FromSpec(spec));
        var generator = new RandomMessages(seed: 3);
        for (int i = 0; i < Iterations / 3; i++)
        {
            var message = generator.Next(classicSafe: true).Remove(WireFields.Auth);
            var options = new WireOptions { ClassicFormat = i % 2 == 0 };
            var wire = DatagramCodec.Decode(authenticator.Encode(message, options));
            Assert.True(wire.IsOk, $"iteration {i}: {wire.Error}");
            Assert.True(authenticator.Verify(wire.Value).IsValid);
            bool innerExpected = options.ClassicFormat && !message.HasStructuredFields;
            Assert.Equal(innerExpected ? AuthStatus.Valid : AuthStatus.Missing, authenticator.VerifyInner(wire.Value.Message).Status);
            Assert.Equal(message, wire.Value.Message.Remove(WireFields.Auth));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LargeMessagesAreCompressedAndComeBackWhole(bool classic)
    {
        var authenticator = new Authenticator(AuthKeys.FromSpec("1:md5:securepass"));
        var message = new HaMessage(Enumerable.Range(0, 100).Select(i => HaField.String($"f{i:0000}", new string('x', 40))))
            .Set(WireFields.Type, "wa-test").Set(WireFields.Src, "server1").Set(WireFields.Seq, "1a");
        var options = new WireOptions { ClassicFormat = classic, TraditionalCompression = true, CompressionThreshold = 1024 };
        byte[] bytes = authenticator.Encode(message, options);
        var wire = DatagramCodec.Decode(bytes).Value;
        Assert.True(wire.IsCompressed);
        Assert.Equal("zlib", wire.PayloadAlgorithm);
        Assert.Equal(classic ? Framing.Classic : Framing.Netstring, wire.PayloadFraming);
        Assert.Equal(message, wire.Payload!.Remove(WireFields.Auth));
        Assert.True(authenticator.Verify(wire).IsValid);
        Assert.Equal(classic ? AuthStatus.Valid : AuthStatus.Missing, authenticator.VerifyInner(wire.Payload!).Status);
        Assert.True(bytes.Length < 1000);
    }

    [Fact]
    public void MessagesAtOrAboveMaxMsgAreAlwaysCompressed()
    {
        var authenticator = new Authenticator(AuthKeys.FromSpec("1:crc"));
        var message = new HaMessage([HaField.String("t", "huge"), HaField.String("data", new string('a', 300_000))]);
        var wire = DatagramCodec.Decode(authenticator.Encode(message, WireOptions.Default)).Value;
        Assert.True(wire.IsCompressed);
        Assert.Equal(message, wire.Payload!.Remove(WireFields.Auth));
    }

    [Fact]
    public void SetChangesAFieldInPlaceAndAppendsNewOnes()
    {
        var message = new HaMessage([HaField.String("t", "status"), HaField.String("src", "a")]);
        var changed = message.Set("src", "b").Set("seq", "1");
        Assert.Equal(["t", "src", "seq"], changed.Fields.Select(f => f.Name));
        Assert.Equal("b", changed.GetString("src"));
    }
}
