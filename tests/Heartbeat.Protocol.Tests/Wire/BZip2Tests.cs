using System.Diagnostics;
using System.Buffers;
using Heartbeat.Protocol.Compression;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Wire;

/// <summary>The bzip2 decoder against the reference bzip2 program (installed by .ci/run).</summary>
public sealed class BZip2Tests
{
    public static TheoryData<string, int> Inputs => new()
    {
        { "empty", 1 },
        { "text", 1 },
        { "runs", 1 },
        { "random", 1 },
        { "multiblock", 1 },
        { "text", 9 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void DecompressesWhatBzip2Compresses(string kind, int level)
    {
        byte[] original = Make(kind);
        byte[] compressed = Bzip2(original, level);
        Assert.True(BZip2Decoder.TryDecompress(compressed, 4 * 1024 * 1024, out byte[] output, out string error), error);
        Assert.Equal(original, output);
    }

    [Fact]
    public void TheOutputCapHolds()
    {
        byte[] compressed = Bzip2(new byte[500_000], 9);
        Assert.False(BZip2Decoder.TryDecompress(compressed, 100_000, out _, out string error));
        Assert.Contains("exceeds", error, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryTruncationAndManyBitFlipsFailCleanly()
    {
        byte[] original = Make("text");
        byte[] compressed = Bzip2(original, 1);
        for (int length = 0; length < compressed.Length; length++)
        {
            Assert.False(BZip2Decoder.TryDecompress(compressed.AsSpan(0, length), 1 << 20, out _, out _));
        }

        var random = new Random(7);
        for (int i = 0; i < 3000; i++)
        {
            byte[] copy = (byte[])compressed.Clone();
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
            if (BZip2Decoder.TryDecompress(copy, 1 << 20, out byte[] output, out _))
            {
                Assert.Equal(original, output); // a flip in padding bits may be harmless; the CRC catches the rest
            }
        }
    }

    private static byte[] Make(string kind)
    {
        var random = new Random(kind.GetHashCode(StringComparison.Ordinal) & 0xffff);
        return kind switch
        {
            "empty" => [],
            "text" => System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 400).Select(i => $"f{i:0000}=lorem-ipsum-{i % 17}\n"))),
            "runs" => [.. Enumerable.Range(0, 3000).SelectMany(i => Enumerable.Repeat((byte)(i % 3), i % 300))],
            "random" => [.. Enumerable.Range(0, 50_000).Select(_ => (byte)random.Next(256))],
            _ => [.. Enumerable.Range(0, 250_000).Select(i => (byte)((i * 7 % 251) ^ random.Next(4)))],
        };
    }

    private static byte[] Bzip2(byte[] data, int level)
    {
        var start = new ProcessStartInfo("bzip2", $"-c -{level}") { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        process.StandardInput.BaseStream.Write(data);
        process.StandardInput.Close();
        Assert.True(copy.Wait(TimeSpan.FromSeconds(30)));
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(0, process.ExitCode);
        return output.ToArray();
    }

    /// <summary>
    /// Found by fuzzing: 37 bytes of bzip2 that declare a 900 kB block make the decoder allocate ~8 MB before it fails.
    /// Bounded, but a packet must not cost that before it is known to be authentic: receivers decode the outer message
    /// (enough to check the signature) and inflate only afterwards.
    /// </summary>
    [Fact]
    public void A_compressed_payload_is_not_inflated_before_the_packet_is_authenticated()
    {
        byte[] bomb = Convert.FromHexString("425a683931415926535919ff006b000000010020002000211846ffffffff0a120332736d60");
        var message = new HaMessage([HaField.String(WireFields.CompressionAlgorithm, "bz2"), HaField.Binary(WireFields.CompressedPayload, bomb)]);
        var output = new ArrayBufferWriter<byte>();
        output.Write(NetstringCodec.EncodeBlock(message));
        DatagramCodec.WriteTrailer(1, "00000000000000000000000000000000", output);
        byte[] datagram = output.WrittenSpan.ToArray();

        // Warm up (tiered code), then measure the outer decode and the verdict.
        var keys = Heartbeat.Protocol.Auth.AuthKeys.FromSpec("1:md5:securepass");
        var authenticator = new Heartbeat.Protocol.Auth.Authenticator(keys);
        _ = authenticator.Verify(DatagramCodec.DecodeOuter(datagram).Value);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var outer = DatagramCodec.DecodeOuter(datagram);
        var verdict = authenticator.Verify(outer.Value);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(outer.IsOk);
        Assert.False(outer.Value.IsCompressed);
        Assert.False(verdict.IsValid);
        Assert.InRange(allocated, 0, 64 * 1024);

        // Inflating it, as an authentic packet would be, fails within the datagram limit.
        Assert.False(DatagramCodec.DecompressPayload(outer.Value).IsOk);
        Assert.False(DatagramCodec.Decode(datagram).IsOk);
    }
}
