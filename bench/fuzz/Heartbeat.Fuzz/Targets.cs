using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Compression;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Control;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Fuzz;

/// <summary>Runs one input through a target; throws on a finding.</summary>
public delegate void InputAction(ReadOnlySpan<byte> input);

/// <summary>An oracle disagreed with the code under test: a finding, reported like a crash.</summary>
public sealed class OracleFailure(string message) : Exception(message);

/// <summary>
/// One fuzz target: the code under test, checked by a second, slower oracle on every input it accepts, and an
/// allocation bound per input (a parser that allocates without bound is a finding even when it returns).
/// </summary>
public sealed record FuzzTarget(string Name, string Description, long AllocationBoundBytes, InputAction Run)
{
    /// <summary>Runs the input and enforces the allocation bound (measured on this thread).</summary>
    public void RunBounded(ReadOnlySpan<byte> input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(input);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationBoundBytes)
        {
            throw new OracleFailure($"{Name}: {allocated} bytes allocated for a {input.Length}-byte input (bound {AllocationBoundBytes})");
        }
    }
}

public static class Targets
{
    // The keys of the capture configurations (index 1 md5, 2 sha1, 3 crc): authenticated seeds stay valid. Made at
    // the first input, not in a static initializer: under afl-fuzz the instrumented library may only run inside
    // SharpFuzz's callback (before it, AFL++'s shared memory is not mapped and an instrumented branch faults).
    private static readonly Lazy<(AuthKeys Keys, Authenticator Authenticator)> Auth = new(() =>
    {
        var keys = AuthKeys.FromSpec("1:md5:securepass,2:sha1:KeyTwo,3:crc");
        return (keys, new Authenticator(keys));
    });

    private static AuthKeys Keys => Auth.Value.Keys;

    private static Authenticator Authenticator => Auth.Value.Authenticator;
    private static readonly string[] Nodes = ["server1", "server2", "node1", "node2"];

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("datagram", "DatagramCodec.Decode + Authenticator.Verify + the keepalive fast path (FlatDatagram), re-checked by BCL HMACs, a bitwise CRC and an encode/decode round trip",
            // A compressed payload may expand to MaxUncompressed, and the decoded message holds copies of it.
            8L * WireLimits.MaxUncompressed + (64L * 1024), Datagram),
        new("sequence", "SequenceTracker fed the input as 16-bit sequence steps, against a model written from wire-format.md §7.2",
            4L * 1024 * 1024, Sequence),
        new("hacf", "HaCfParser.Parse, re-checked by a shifted parse (a comment line prepended moves every diagnostic one line down)",
            2L * 1024 * 1024, HaCf),
        new("authkeys", "AuthKeysParser.Parse, re-checked the same way, and every accepted key signs and verifies",
            2L * 1024 * 1024, AuthKeysFile),
        new("haresources", "HaResourcesParser.Parse, re-checked the same way",
            2L * 1024 * 1024, HaResourcesFile),
        new("bzip2", "BZip2Decoder.TryDecompress within the datagram limit",
            // bzip2's design: a stream of a few bytes may declare a 900 kB block, whose index table (3.6 MB) and
            // output are allocated however short the input; receivers inflate only authenticated packets.
            12L * 1024 * 1024, Bzip2),
        new("control", "ControlJsonContext.ParseRequest: null or a request that survives a serialize/parse round trip",
            1L * 1024 * 1024, Control),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new OracleFailure(message);
        }
    }

    private static void Datagram(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        var result = DatagramCodec.Decode(bytes);
        Span<FieldSlice> room = stackalloc FieldSlice[24];
        bool fastPathTook = FlatDatagram.TryRead(bytes, room, out var flat);
        if (!result.IsOk)
        {
            Check(Enum.IsDefined(result.Error.Code), $"undefined error code {result.Error.Code}");
            Check(result.Error.Offset >= 0 && result.Error.Offset <= Math.Max(bytes.Length, WireLimits.MaxUncompressed), $"error offset {result.Error.Offset} outside the input");
            Check(!fastPathTook, $"the keepalive fast path took a datagram the decoder refuses ({result.Error})");
            return;
        }

        var packet = result.Value;
        var verdict = Authenticator.Verify(packet);
        bool expected = packet.Framing == Framing.Netstring ? OracleTrailerValid(packet) : OracleInnerValid(packet.Message);
        Check(verdict.IsValid == expected, $"authenticator says {verdict}, the oracle says {(expected ? "valid" : "invalid")}");
        _ = packet.Effective.ToString();

        if (fastPathTook)
        {
            CompareFastPath(packet, flat, verdict.IsValid);
        }

        RoundTrip(packet.Effective);
    }

    /// <summary>The trailer (netstring framing): the digest of the packet's key index over the signed region.</summary>
    private static bool OracleTrailerValid(WireDatagram packet)
    {
        if (packet.TrailerState != TrailerState.Present || packet.Trailer is not { } trailer || !Keys.Keys.TryGetValue(trailer.KeyIndex, out var key))
        {
            return false;
        }

        return trailer.Digest == SlowDigest(key, packet.SignedRegion.Span);
    }

    /// <summary>The inner <c>auth</c> field (classic framing): "index hex" over the rendering of every other field.</summary>
    private static bool OracleInnerValid(HaMessage message)
    {
        string? value = message.GetString(WireFields.Auth);
        if (value is null)
        {
            return false;
        }

        string[] parts = value.Split(' ');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || parts[0] != index.ToString(CultureInfo.InvariantCulture)
            || !Keys.Keys.TryGetValue(index, out var key))
        {
            return false;
        }

        return parts[1] == SlowDigest(key, ClassicCodec.RenderDigestInput(message));
    }

    /// <summary>An independent digest: the BCL's (OpenSSL) HMACs, and a bit-at-a-time CRC-32/CKSUM core.</summary>
    private static string SlowDigest(AuthKey key, ReadOnlySpan<byte> data) => key.Method switch
    {
        AuthMethod.Md5 => Convert.ToHexStringLower(HMACMD5.HashData(key.Secret.AsSpan(), data)),
        AuthMethod.Sha1 => Convert.ToHexStringLower(HMACSHA1.HashData(key.Secret.AsSpan(), data)),
        _ => SlowCrc(data).ToString("x", CultureInfo.InvariantCulture),
    };

    private static uint SlowCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (byte b in data)
        {
            for (int bit = 7; bit >= 0; bit--)
            {
                bool top = ((crc >> 31) ^ (uint)((b >> bit) & 1)) != 0;
                crc <<= 1;
                if (top)
                {
                    crc ^= 0x04C11DB7;
                }
            }
        }

        return ~crc;
    }

    private static void CompareFastPath(WireDatagram packet, FlatDatagram flat, bool valid)
    {
        Check(packet.Framing == Framing.Netstring && !packet.IsCompressed && packet.TrailerState == TrailerState.Present, "the fast path took a packet that is not a plain netstring packet with a trailer");
        Check(packet.Message.Fields.Length == flat.FieldCount, $"fast path: {flat.FieldCount} fields, decoder: {packet.Message.Fields.Length}");
        foreach (var field in packet.Message.Fields)
        {
            if (packet.Message.Find(field.Name) != field)
            {
                continue;
            }

            byte[] name = Encoding.Latin1.GetBytes(field.Name);
            if (field.Type == FieldType.String)
            {
                Check(flat.TryGetString(name, out var value) && value.SequenceEqual(field.Bytes), $"fast path: field {field.Name} differs");
                bool decoderHex = packet.Message.TryGetHex(field.Name, out ulong expected);
                Check(decoderHex == flat.TryGetHex(name, out ulong actual) && expected == actual, $"fast path: hex of {field.Name} differs");
            }
            else
            {
                Check(!flat.TryGetString(name, out _) && flat.TryGetBinary(name, out var value) && value.SequenceEqual(field.Bytes), $"fast path: binary field {field.Name} differs");
            }
        }

        Check(flat.HasValidTrailer(Keys) == valid, "fast path and authenticator disagree on the trailer");
    }

    /// <summary>What the decoder made of a datagram, encoded again, decodes to the same message.</summary>
    private static void RoundTrip(HaMessage message)
    {
        byte[] netstring = NetstringCodec.EncodeBlock(message);
        var again = NetstringCodec.DecodeBlock(netstring, out int consumed);
        Check(again.IsOk && consumed == netstring.Length && again.Value.Equals(message), $"netstring round trip changed the message: {(again.IsOk ? again.Value.ToString() : again.Error.ToString())}");
    }

    private static void Sequence(ReadOnlySpan<byte> input)
    {
        var tracker = new SequenceTracker();
        var model = new SequenceModel();
        ulong seq = 1_000_000;
        for (int i = 0; i + 1 < input.Length; i += 2)
        {
            // Steps of -32 768…+32 767 around the current position: in order, gaps, resets, late copies, duplicates.
            short step = (short)(input[i] | (input[i + 1] << 8));
            seq = (ulong)((long)seq + step);
            var actual = tracker.Accept(seq);
            var expected = model.Accept(seq);
            Check(actual == expected, $"seq {seq}: tracker {actual}, model {expected}");
            Check(tracker.Highest == model.Highest, $"highest {tracker.Highest}, model {model.Highest}");
            Check(tracker.Missing.Count == model.Missing.Count && tracker.Missing.SequenceEqual(model.Missing.Order()), $"missing sets differ after seq {seq}");
            Check(tracker.Missing.Count <= SendHistory.DefaultCapacity, $"{tracker.Missing.Count} seqs missing: more than a sender can ever retransmit");
            Check(tracker.Contiguous <= tracker.Highest, "contiguous above highest");
        }
    }

    private static void HaCf(ReadOnlySpan<byte> input) =>
        ConfigFile(input, "/etc/ha.d/ha.cf", static content => HaCfParser.Parse(content, "/etc/ha.d/ha.cf"));

    private static void AuthKeysFile(ReadOnlySpan<byte> input)
    {
        var result = ConfigFile(input, "/etc/ha.d/authkeys", static content => AuthKeysParser.Parse(content, "/etc/ha.d/authkeys", UnixFileMode.UserRead | UnixFileMode.UserWrite));
        if (!result.HasErrors && result.Value is { } keys)
        {
            // Whatever key was accepted signs a message that verifies.
            var authenticator = new Authenticator(keys);
            var message = new HaMessage([HaField.String("t", "status"), HaField.String("src", "server1"), HaField.String("seq", "1")]);
            byte[] signed = authenticator.Encode(message, WireOptions.Default with { ClassicFormat = false });
            var decoded = DatagramCodec.Decode(signed);
            Check(decoded.IsOk && authenticator.Verify(decoded.Value).IsValid, "a message signed with the accepted key does not verify");
        }
    }

    private static void HaResourcesFile(ReadOnlySpan<byte> input) =>
        ConfigFile(input, "/etc/ha.d/haresources", static content => HaResourcesParser.Parse(content, "/etc/ha.d/haresources", Nodes));

    /// <summary>
    /// The parser's contract (a value whenever there is no error; every diagnostic names the file, a line that
    /// exists and a one-line message), and a metamorphic oracle: with a comment line prepended, the same diagnostics
    /// come out one line further down.
    /// </summary>
    private static ParseResult<T> ConfigFile<T>(ReadOnlySpan<byte> input, string path, Func<byte[], ParseResult<T>> parse)
        where T : class
    {
        byte[] content = input.ToArray();
        var result = parse(content);
        // ha.cf's value is built even with errors (the other files are checked against it); without errors there is always one.
        Check(result.HasErrors || result.Value is not null, "no errors and no value");
        int lines = content.Count(b => b == (byte)'\n') + 1;
        foreach (var diagnostic in result.Diagnostics)
        {
            Check(diagnostic.File == path, $"diagnostic names {diagnostic.File}");
            Check(diagnostic.Line >= 0 && diagnostic.Line <= lines, $"diagnostic on line {diagnostic.Line} of a {lines}-line file: {diagnostic}");
            Check(diagnostic.Message.Length > 0 && !diagnostic.Message.Contains('\n', StringComparison.Ordinal), $"diagnostic message empty or not one line: {diagnostic}");
        }

        // A byte-order mark or a leading carriage return belongs to the first line; prepending would change its meaning.
        if (content.Length == 0 || content[0] is (byte)'\r' or 0xEF)
        {
            return result;
        }

        byte[] shifted = [.. "# fuzz\n"u8, .. content];
        var moved = parse(shifted);
        Check(moved.HasErrors == result.HasErrors, $"a prepended comment changed the outcome: {string.Join(" | ", result.Diagnostics)} → {string.Join(" | ", moved.Diagnostics)}");
        var before = result.Diagnostics.Select(d => (d.Line == 0 ? 0 : d.Line + 1, d.Severity, StripLineNumbers(d.Message))).ToList();
        var after = moved.Diagnostics.Select(d => (d.Line, d.Severity, StripLineNumbers(d.Message))).ToList();
        Check(before.SequenceEqual(after), $"a prepended comment did not move the diagnostics one line down: {string.Join(" | ", result.Diagnostics)} → {string.Join(" | ", moved.Diagnostics)}");
        return result;
    }

    // Messages may cite another line ("first on line 3"), which moves too.
    private static string StripLineNumbers(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"line \d+", "line N", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));

    private static void Bzip2(ReadOnlySpan<byte> input)
    {
        if (BZip2Decoder.TryDecompress(input, WireLimits.MaxUncompressed, out byte[] output, out string error))
        {
            Check(output.Length <= WireLimits.MaxUncompressed, $"{output.Length} bytes out, above the limit");
        }
        else
        {
            Check(!string.IsNullOrEmpty(error), "refused without a reason");
        }
    }

    private static void Control(ReadOnlySpan<byte> input)
    {
        if (ControlJsonContext.ParseRequest(input) is not { } request)
        {
            return;
        }

        var again = ControlJsonContext.ParseRequest(ControlJsonContext.Serialize(request));
        Check(again == request, $"control request changed in a round trip: {request} → {again}");
    }
}
