using System.Text;
using Heartbeat.Protocol.Compression;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Wire;

/// <summary>Malformed input of every kind yields the right typed error, never an exception.</summary>
public sealed class DecodeErrorTests
{
    [Theory]
    [InlineData("", WireErrorCode.Empty)]
    [InlineData("hello world", WireErrorCode.UnknownFraming)]
    [InlineData("###\n", WireErrorCode.UnexpectedEnd)]
    [InlineData("###\n99:(0)t=status,%%%\n", WireErrorCode.BadLength)]
    [InlineData("###\nx:(0)t=a,%%%\n", WireErrorCode.BadLength)]
    [InlineData("###\n1234567890:(0)t=a,%%%\n", WireErrorCode.BadLength)]
    [InlineData("###\n9:(0)t=abcd;%%%\n", WireErrorCode.MissingFieldTerminator)]
    [InlineData("###\n8:t=status,%%%\n", WireErrorCode.MissingTypeTag)]
    [InlineData("###\n8:(6)t=abc,%%%\n", WireErrorCode.BadTypeTag)]
    [InlineData("###\n8:(9)t=abc,%%%\n", WireErrorCode.BadTypeTag)]
    [InlineData("###\n8:(x)t=abc,%%%\n", WireErrorCode.BadTypeTag)]
    [InlineData("###\n8:(0)tabcd,%%%\n", WireErrorCode.MissingEquals)]
    [InlineData("###\n8:(0)=abcd,%%%\n", WireErrorCode.EmptyName)]
    [InlineData("###\n9:(0)t=a\0cd,%%%\n", WireErrorCode.NulInString)]
    [InlineData("###\n9:(0)\0=abcd,%%%\n", WireErrorCode.BadName)]
    [InlineData("###\n8:(3)l=0:,,%%%\n", WireErrorCode.EmptyListItem)]
    [InlineData("###\n8:(3)l=5:a,,%%%\n", WireErrorCode.BadList)]
    [InlineData("###\n10:(2)s=abcde,%%%\n", WireErrorCode.UnknownFraming)]
    [InlineData(">>>\nt=status\n", WireErrorCode.UnexpectedEnd)]
    [InlineData(">>>\nt=status\nnoequals\n<<<\n", WireErrorCode.MissingEquals)]
    [InlineData(">>>\n(7)t=status\n<<<\n", WireErrorCode.BadTypeTag)]
    [InlineData(">>>\n(1)b=@@@@\n<<<\n", WireErrorCode.BadBase64)]
    [InlineData(">>>\n(3)l=0:,\n<<<\n", WireErrorCode.EmptyListItem)]
    public void MalformedDatagramsGiveTypedErrors(string text, WireErrorCode expected)
    {
        var result = DatagramCodec.Decode(Encoding.Latin1.GetBytes(text));
        Assert.False(result.IsOk);
        Assert.Equal(expected, result.Error.Code);
    }

    [Fact]
    public void OversizedDatagramsAreRefusedBeforeParsing()
    {
        var result = DatagramCodec.Decode(new byte[WireLimits.MaxDatagram + 1]);
        Assert.Equal(WireErrorCode.TooLarge, result.Error.Code);
    }

    [Fact]
    public void DeepNestingIsBounded()
    {
        string inner = "###\n%%%\n";
        for (int i = 0; i < 20; i++)
        {
            string field = "(2)s=" + inner;
            inner = $"###\n{Encoding.Latin1.GetByteCount(field)}:{field},%%%\n";
        }

        Assert.Equal(WireErrorCode.NestingTooDeep, DatagramCodec.Decode(Encoding.Latin1.GetBytes(inner)).Error.Code);
    }

    [Fact]
    public void TrailerProblemsLeaveTheMessageReadableButUnauthenticated()
    {
        var missing = DatagramCodec.Decode("###\n8:(0)t=abc,%%%\n"u8.ToArray()).Value;
        Assert.Equal(TrailerState.Missing, missing.TrailerState);
        var malformed = DatagramCodec.Decode("###\n8:(0)t=abc,%%%\nzz:1 abc,"u8.ToArray()).Value;
        Assert.Equal(TrailerState.Malformed, malformed.TrailerState);
        var junk = DatagramCodec.Decode("###\n8:(0)t=abc,%%%\n7:1 abcde,JUNK"u8.ToArray()).Value;
        Assert.Equal(TrailerState.Present, junk.TrailerState);
        Assert.Equal(4, junk.TrailingBytes);
        Assert.Equal(new WireTrailer(1, "abcde"), junk.Trailer);
    }

    [Fact]
    public void ZlibBombsAreCappedAtMaxUncompressed()
    {
        byte[] bomb = PayloadCompression.CompressZlib(new byte[WireLimits.MaxUncompressed + 1]);
        Assert.True(bomb.Length < 10_000);
        var result = DatagramCodec.Decode(Wrapper(bomb, "zlib"));
        Assert.Equal(WireErrorCode.DecompressedTooLarge, result.Error.Code);
    }

    [Fact]
    public void CorruptAndUnknownPayloadsGiveTypedErrors()
    {
        Assert.Equal(WireErrorCode.DecompressionFailed, DatagramCodec.Decode(Wrapper([0x78, 0x9c, 0xff, 0xff, 0xff], "zlib")).Error.Code);
        Assert.Equal(WireErrorCode.DecompressionFailed, DatagramCodec.Decode(Wrapper("BZh91AY&SYgarbage"u8.ToArray(), "bz2")).Error.Code);
        Assert.Equal(WireErrorCode.UnknownCompression, DatagramCodec.Decode(Wrapper([1], "lzma")).Error.Code);
        Assert.Equal(WireErrorCode.BadCompressedPayload, DatagramCodec.Decode(Wrapper(PayloadCompression.CompressZlib("not a message"u8), "zlib")).Error.Code);
        byte[] nested = NetstringCodec.EncodeBlock(new HaMessage([HaField.Binary(WireFields.CompressedPayload, [1]), HaField.String(WireFields.CompressionAlgorithm, "zlib")]));
        Assert.Equal(WireErrorCode.BadCompressedPayload, DatagramCodec.Decode(Wrapper(PayloadCompression.CompressZlib(nested), "zlib")).Error.Code);
    }

    [Fact]
    public void FieldFactoriesRefuseWhatA306PeerWouldChokeOn()
    {
        Assert.Throws<ArgumentException>(() => HaField.String("t", "a\0b"));
        Assert.Throws<ArgumentException>(() => HaField.String("a=b", "x"));
        Assert.Throws<ArgumentException>(() => HaField.List("l", ["a", string.Empty]));
        Assert.Throws<ArgumentException>(() => HaField.String("t", "\u20ac"));
    }

    private static byte[] Wrapper(byte[] payload, string algorithm) => NetstringCodec.EncodeBlock(new HaMessage(
    [
        HaField.Binary(WireFields.CompressedPayload, payload),
        HaField.String(WireFields.CompressionAlgorithm, algorithm),
    ]));
}
