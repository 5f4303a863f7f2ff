using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Capture;
using Heartbeat.Protocol.Tests.Support;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Capture;

/// <summary>The captures of real Heartbeat 3.0.6 traffic are the test vectors: every packet, byte for byte.</summary>
public sealed class CaptureVectorTests
{
    [Fact]
    public void TheCaptureFolderIsThere() => Assert.True(CaptureCatalog.Names.Count() >= 45, $"expected the captures in {TestPaths.Captures}");

    [Theory]
    [MemberData(nameof(CaptureCatalog.All), MemberType = typeof(CaptureCatalog))]
    public void EveryDatagramDecodesAndEveryDigestVerifiesExceptTheDeliberatelyBadOnes(string name)
    {
        var capture = CaptureReader.Read(CaptureCatalog.Read(name));
        Assert.Empty(capture.Problems);
        var authenticator = new Authenticator(CaptureCatalog.Keys(name));
        var analyzed = CaptureAnalyzer.Analyze(capture, authenticator);
        Assert.NotEmpty(analyzed);

        // Good means: decoded, trailer valid, auth field valid where present, and present on classic packets.
        var failing = analyzed.Where(a => !a.IsGood).Select(a => a.Datagram.Frame).ToList();
        var expected = CaptureCatalog.DeliberatelyBad.Keys.Where(k => k.Capture == name).Select(k => k.Frame).Order().ToList();
        Assert.Equal(expected, failing);
    }

    [Theory]
    [MemberData(nameof(CaptureCatalog.All), MemberType = typeof(CaptureCatalog))]
    public void ReencodingEveryRealMessageReproducesItsDatagramByteForByte(string name)
    {
        var keys = CaptureCatalog.Keys(name);
        var capture = CaptureReader.Read(CaptureCatalog.Read(name));
        int checkedCount = 0;
        foreach (var entry in CaptureAnalyzer.Analyze(capture, new Authenticator(keys)))
        {
            if (entry.Datagram.Source.ToString() == CaptureCatalog.FakePeerAddress || CaptureCatalog.DeliberatelyBad.ContainsKey((name, entry.Datagram.Frame)))
            {
                continue;
            }

            var wire = entry.Decoded!;
            Assert.Equal(Framing.Netstring, wire.Framing); // a 3.0.6 node only ever sends netstring
            var signer = new Authenticator(new AuthKeys(wire.Trailer!.KeyIndex, keys.Keys.Values));
            var payload = entry.Datagram.Payload.Span[..(entry.Datagram.Payload.Length - wire.TrailingBytes)];
            if (wire.IsCompressed)
            {
                // The compressed bytes are kept as they came, so the wrapper re-encodes exactly; the payload inside
                // is re-rendered from its decoded fields, its own auth line recomputed.
                Assert.Equal(payload.ToArray(), signer.Encode(wire.Message, new WireOptions { ClassicFormat = false }));
                byte[] inner = wire.PayloadFraming == Framing.Classic
                    ? ClassicCodec.Encode(wire.Payload!.Remove(WireFields.Auth).Add(HaField.String(WireFields.Auth, signer.InnerAuthValue(wire.Payload!))), trailingNul: true)
                    : NetstringCodec.EncodeBlock(wire.Payload!);
                Assert.Equal(wire.PayloadBytes.ToArray(), inner);
            }
            else
            {
                var options = new WireOptions { ClassicFormat = wire.Message.Find(WireFields.Auth) is not null };
                Assert.Equal(payload.ToArray(), signer.Encode(wire.Message, options));
            }

            checkedCount++;
        }

        Assert.True(checkedCount > 0);
    }

    [Fact]
    public void ByteExactnessCoversCrcSha1Md5BothMessageFormatsAndBothCompressors()
    {
        // Guards the catalog: if a capture disappeared, the coverage claimed in the closing note would be false.
        string[] required = ["crc-ucast", "sha1-mcast", "md5-3media", "md5-msgfmt-netstring", "md5-tradcompress-zlib", "md5-tradcompress-bz2", "md5-netstringfmt-tradcompress", "md5-bigmsgs-default", "multikey-sha1idx2"];
        Assert.All(required, r => Assert.Contains(r, CaptureCatalog.Names));
    }

    [Fact]
    public void TheExampleOfWireFormatSection43MatchesBothDigests()
    {
        // md5-3media.pcap frame 34: inner d07b6caf…, trailer 2552c9ae… with key securepass.
        var capture = CaptureReader.Read(CaptureCatalog.Read("md5-3media"));
        var frame = capture.Datagrams.Single(d => d.Frame == 34);
        var wire = DatagramCodec.Decode(frame.Payload).Value;
        Assert.Equal("1 d07b6cafee4f049d08327e9857b80eaf", wire.Message.GetString("auth"));
        Assert.Equal(new WireTrailer(1, "2552c9ae61614e7d5e036d8455ef130f"), wire.Trailer);
        Assert.Equal(259, wire.SignedRegion.Length);
        Assert.Equal(
            "t=status\nst=active\ndt=1b58\nprotocol=1\nsrc=server1\n(1)srcuuid=Iwpz1MhNQDSSkQ7YENz/bw==\nseq=6\nhg=6b054901\nts=6b054901\nld=0.03 0.12 0.08 8/126 26455\nttl=3\n",
            System.Text.Encoding.Latin1.GetString(ClassicCodec.RenderDigestInput(wire.Message)));
        var authenticator = new Authenticator(AuthKeys.FromSpec("1:md5:securepass"));
        Assert.True(authenticator.VerifyInner(wire.Message).IsValid);
        Assert.True(authenticator.Verify(wire).IsValid);
    }

    [Fact]
    public void MultikeyMixedIsRejectedByA306ReceiverAlthoughEveryPacketIsCorrectlySigned()
    {
        // Both nodes hold 1 md5 KeyOne and 2 sha1 KeyTwo; node1 signs with 1, node2 with 2 (wire-format.md §4.5).
        var capture = CaptureReader.Read(CaptureCatalog.Read("multikey-mixed"));
        var node1 = new Authenticator(AuthKeys.FromSpec("1:md5:KeyOne,2:sha1:KeyTwo"));
        var fromNode2 = CaptureAnalyzer.Analyze(capture, node1).Where(a => a.Decoded!.Trailer!.KeyIndex == 2).ToList();
        Assert.NotEmpty(fromNode2);
        Assert.All(fromNode2, a => Assert.True(a.Trailer!.Value.IsValid));
        Assert.All(fromNode2, a => Assert.Equal(AuthStatus.Mismatch, a.Heartbeat306!.Value.Status));
    }

    [Fact]
    public void LargeMessagesAreReassembledFromIpFragments()
    {
        // md5-bigmsgs-default frame 93: a 41 070-byte message in 37 IP fragments.
        var capture = CaptureReader.Read(CaptureCatalog.Read("md5-bigmsgs-default"));
        var big = capture.Datagrams.Single(d => d.Frame == 93);
        Assert.Equal(41_070, big.Payload.Length);
        var wire = DatagramCodec.Decode(big.Payload).Value;
        Assert.True(new Authenticator(AuthKeys.FromSpec("1:md5:securepass")).Verify(wire).IsValid);
    }

    [Theory]
    [InlineData("md5-tradcompress-zlib", 54, "zlib", Framing.Classic)]
    [InlineData("md5-tradcompress-bz2", 60, "bz2", Framing.Classic)]
    [InlineData("md5-netstringfmt-tradcompress", 41, "zlib", Framing.Netstring)]
    [InlineData("md5-bigmsgs-default", 105, "zlib", Framing.Netstring)]
    public void CompressedPayloadsAreDecompressedWithTheirInnerFraming(string name, int frame, string algorithm, Framing expectedFraming)
    {
        var capture = CaptureReader.Read(CaptureCatalog.Read(name));
        var wire = DatagramCodec.Decode(capture.Datagrams.Single(d => d.Frame == frame).Payload).Value;
        Assert.True(wire.IsCompressed);
        Assert.Equal(algorithm, wire.PayloadAlgorithm);
        Assert.Null(wire.Message.Find(WireFields.Auth)); // the wrapper never carries an inner auth
        Assert.NotNull(wire.Effective.Type);
        Assert.NotNull(wire.Effective.GetString(WireFields.Seq));
        if (name == "md5-bigmsgs-default")
        {
            Assert.True(wire.PayloadBytes.Length >= 262_144); // ≥ MAXMSG: compressed automatically
        }
        else
        {
            Assert.Equal(expectedFraming, wire.PayloadFraming);
        }
    }
}
