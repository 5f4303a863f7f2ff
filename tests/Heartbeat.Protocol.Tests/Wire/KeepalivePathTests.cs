using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Capture;
using Heartbeat.Protocol.Tests.Support;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Wire;

/// <summary>
/// The keepalive path's writer and reader (<see cref="DatagramWriter"/>, <see cref="FlatDatagram"/>) must agree with
/// the general encoder and decoder on everything they take, byte for byte and verdict for verdict; what they decline
/// goes to the general code, so declining is always safe and accepting differently never is.
/// </summary>
public sealed class KeepalivePathTests
{
    private static readonly string[] KeySpecs = ["1:crc", "1:md5:securepass", "2:sha1:KeyTwo", "7:sha1:" + new string('k', 80)];

    public static TheoryData<string, bool> KeysAndFormats()
    {
        var data = new TheoryData<string, bool>();
        foreach (string spec in KeySpecs)
        {
            data.Add(spec, true);
            data.Add(spec, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KeysAndFormats))]
    public void The_writer_yields_the_general_encoders_bytes(string keySpec, bool classicFormat)
    {
        var keys = AuthKeys.FromSpec(keySpec);
        var options = new WireOptions { ClassicFormat = classicFormat };
        byte[] uuid = Convert.FromHexString("230a73d4c84d403492910ed810dcff6f");
        byte[] output = new byte[2048];
        byte[] digestInput = new byte[2048];
        foreach (ulong seq in new ulong[] { 1, 0xf, 0x10, 0xabcdef, ulong.MaxValue })
        {
            foreach (string load in new[] { "0.00 0.01 0.05 1/123 4567", "multi\nline\nld", "é latin-1 ÿ" })
            {
                var writer = new DatagramWriter(output, digestInput);
                writer.AddString("t"u8, "status");
                writer.AddString("st"u8, "active");
                writer.AddHex("dt"u8, 3000);
                writer.AddString("protocol"u8, "1"u8);
                writer.AddString("src"u8, "server1");
                writer.AddBinary("srcuuid"u8, uuid);
                writer.AddHex("seq"u8, seq);
                writer.AddHex("hg"u8, 0x5f3a1b2c);
                writer.AddHex("ts"u8, 0x6565f0aa);
                writer.AddString("ld"u8, load);
                writer.AddDecimal("ttl"u8, 3);
                Assert.True(writer.TryFinish(keys, options, out int length));

                var message = new HaMessage(
                [
                    HaField.String("t", "status"),
                    HaField.String("st", "active"),
                    HaField.String("dt", "bb8"),
                    HaField.String("protocol", "1"),
                    HaField.String("src", "server1"),
                    HaField.Binary("srcuuid", uuid),
                    HaField.String("seq", seq.ToString("x", System.Globalization.CultureInfo.InvariantCulture)),
                    HaField.String("hg", "5f3a1b2c"),
                    HaField.String("ts", "6565f0aa"),
                    HaField.String("ld", load),
                    HaField.String("ttl", "3"),
                ]);
                Assert.Equal(new Authenticator(keys).Encode(message, options), output.AsSpan(0, length).ToArray());
            }
        }
    }

    [Fact]
    public void The_writer_declines_what_only_the_general_encoder_may_decide_or_refuse()
    {
        var keys = AuthKeys.FromSpec("1:md5:securepass");
        byte[] output = new byte[2048];
        byte[] digestInput = new byte[2048];

        var nul = new DatagramWriter(output, digestInput);
        nul.AddString("t"u8, "sta\0tus");
        Assert.False(nul.TryFinish(keys, WireOptions.Default, out _));

        var wide = new DatagramWriter(output, digestInput);
        wide.AddString("src"u8, "node\u0100");
        Assert.False(wide.TryFinish(keys, WireOptions.Default, out _));

        var compressing = new DatagramWriter(output, digestInput);
        compressing.AddString("t"u8, "status");
        Assert.False(compressing.TryFinish(keys, new WireOptions { TraditionalCompression = true }, out _));

        var tooSmall = new DatagramWriter(output.AsSpan(0, 40), digestInput);
        tooSmall.AddString("t"u8, "status");
        tooSmall.AddString("ld"u8, new string('x', 64));
        Assert.False(tooSmall.TryFinish(keys, WireOptions.Default, out _));
    }

    [Fact]
    public void Real_heartbeats_of_3_0_6_take_the_keepalive_path()
    {
        int taken = 0;
        Span<FieldSlice> room = stackalloc FieldSlice[24];
        foreach (string name in new[] { "crc-ucast", "sha1-mcast", "md5-3media" })
        {
            var keys = CaptureCatalog.Keys(name);
            foreach (var datagram in CaptureReader.Read(CaptureCatalog.Read(name)).Datagrams.Where(d => d.DestinationPort == 694))
            {
                var general = DatagramCodec.Decode(datagram.Payload).Value;
                if (general.IsCompressed || general.Message.Type is not ("status" or "NS_ackmsg"))
                {
                    continue;
                }

                Assert.True(FlatDatagram.TryRead(datagram.Payload.Span, room, out var flat), $"{name} frame {datagram.Frame}");
                Assert.True(flat.HasValidTrailer(keys), $"{name} frame {datagram.Frame}");
                taken++;
            }
        }

        Assert.True(taken > 100, $"only {taken} heartbeats and ACKs in the captures");
    }

    /// <summary>
    /// Real datagrams and 60 000 mutations of them: whenever the reader takes one, the general decoder decodes it to
    /// the same fields and the authenticator gives the same verdict. Mutations of a valid packet keep their trailer, so
    /// most fail authentication in both; the ones aimed at the trailer key index and digest exercise the rest.
    /// </summary>
    [Fact]
    public void Whatever_the_reader_takes_the_general_decoder_reads_the_same_way()
    {
        var keys = AuthKeys.FromSpec("1:md5:securepass,2:sha1:KeyTwo,3:crc");
        var authenticator = new Authenticator(keys);
        var seeds = CaptureCatalog.Names
            .SelectMany(name => CaptureReader.Read(CaptureCatalog.Read(name)).Datagrams.Where(d => d.DestinationPort == 694))
            .Select(d => d.Payload.ToArray())
            .Where(p => p.Length < 4_000)
            .ToArray();
        var random = new Random(7);
        int taken = 0, valid = 0, invalid = 0;
        Span<FieldSlice> room = stackalloc FieldSlice[24];
        for (int i = 0; i < seeds.Length + 60_000; i++)
        {
            byte[] datagram = i < seeds.Length ? seeds[i] : MutationTests.Mutate(seeds[random.Next(seeds.Length)], seeds[random.Next(seeds.Length)], random);
            if (!FlatDatagram.TryRead(datagram, room, out var flat))
            {
                continue;
            }

            taken++;
            var general = DatagramCodec.Decode(datagram);
            Assert.True(general.IsOk, $"the reader took what the decoder refuses: {general.Error}");
            var packet = general.Value;
            Assert.Equal(Framing.Netstring, packet.Framing);
            Assert.False(packet.IsCompressed);
            Assert.Equal(TrailerState.Present, packet.TrailerState);
            Assert.Equal(0, packet.TrailingBytes);
            Assert.Equal(packet.Message.Fields.Length, flat.FieldCount);
            foreach (var field in packet.Message.Fields)
            {
                byte[] name = System.Text.Encoding.Latin1.GetBytes(field.Name);
                bool isFirst = packet.Message.Find(field.Name) == field;
                if (!isFirst)
                {
                    continue;
                }

                if (field.Type == FieldType.String)
                {
                    Assert.True(flat.TryGetString(name, out var value));
                    Assert.Equal(field.Bytes.ToArray(), value.ToArray());
                    Assert.Equal(packet.Message.TryGetHex(field.Name, out ulong expected), flat.TryGetHex(name, out ulong actual));
                    Assert.Equal(expected, actual);
                }
                else
                {
                    Assert.False(flat.TryGetString(name, out _));
                    Assert.True(flat.TryGetBinary(name, out var value));
                    Assert.Equal(field.Bytes.ToArray(), value.ToArray());
                }
            }

            bool verdict = authenticator.Verify(packet).IsValid;
            Assert.Equal(verdict, flat.HasValidTrailer(keys));
            if (verdict)
            {
                valid++;
            }
            else
            {
                invalid++;
            }
        }

        Assert.True(taken > 5_000, $"the reader took only {taken}");
        Assert.True(valid > 1_000 && invalid > 1_000, $"valid {valid}, invalid {invalid}");
    }
}
