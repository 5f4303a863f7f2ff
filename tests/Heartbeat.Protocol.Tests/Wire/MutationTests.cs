using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Capture;
using Heartbeat.Protocol.Tests.Support;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Tests.Wire;

/// <summary>
/// Decoding is total: ≥ 100 000 mutations of real datagrams (bit flips, byte changes, insertions, deletions,
/// truncations, splices, length-prefix edits) produce a message or a typed error, never an exception.
/// </summary>
public sealed class MutationTests
{
    private const int Mutations = 120_000;

    [Fact]
    public void MutatedCaptureDatagramsYieldOnlyMessagesOrTypedErrors()
    {
        var seeds = CaptureCatalog.Names
            .SelectMany(name => CaptureReader.Read(CaptureCatalog.Read(name)).Datagrams.Where(d => d.DestinationPort == 694))
            .Select(d => d.Payload.ToArray())
            .Where(p => p.Length < 8_000)
            .ToArray();
        Assert.True(seeds.Length > 1000);
        var authenticator = new Authenticator(AuthKeys.FromSpec("1:md5:securepass,2:sha1:KeyTwo,3:crc"));
        var random = new Random(42);
        int decoded = 0;
        var errorCodes = new HashSet<WireErrorCode>();
        for (int i = 0; i < Mutations; i++)
        {
            byte[] mutated = Mutate(seeds[random.Next(seeds.Length)], seeds[random.Next(seeds.Length)], random);
            var result = DatagramCodec.Decode(mutated);
            if (result.IsOk)
            {
                decoded++;
                _ = authenticator.Verify(result.Value);
                _ = authenticator.VerifyInner(result.Value.Effective);
                _ = authenticator.VerifyTrailer(result.Value, TrailerKeySelection.Heartbeat306);
                _ = result.Value.Effective.ToString();
            }
            else
            {
                Assert.True(Enum.IsDefined(result.Error.Code));
                Assert.InRange(result.Error.Offset, 0, Math.Max(mutated.Length, WireLimits.MaxUncompressed));
                errorCodes.Add(result.Error.Code);
            }
        }

        // The mutations must exercise both outcomes and many distinct error paths, or the test proves little.
        Assert.InRange(decoded, Mutations / 20, Mutations - (Mutations / 20));
        Assert.True(errorCodes.Count >= 8, "error codes seen: " + string.Join(", ", errorCodes));
    }

    internal static byte[] Mutate(byte[] source, byte[] other, Random random)
    {
        var bytes = new List<byte>(source);
        int steps = random.Next(1, 4);
        for (int s = 0; s < steps && bytes.Count > 0; s++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(8))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    bytes.RemoveAt(at);
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5:
                    int from = random.Next(other.Length);
                    bytes.InsertRange(at, other.Skip(from).Take(random.Next(1, 64)));
                    break;
                case 6:
                    // Aim at structure: a digit (length prefixes, type tags) or a delimiter.
                    int target = bytes.FindIndex(at, b => b is (>= (byte)'0' and <= (byte)'9') or (byte)',' or (byte)':' or (byte)'(' or (byte)')');
                    if (target >= 0)
                    {
                        bytes[target] = "0123456789,:()x\0"u8[random.Next(16)];
                    }

                    break;
                default:
                    bytes[at] = "6789x\0\n=,%#"u8[random.Next(11)];
                    break;
            }
        }

        return [.. bytes];
    }
}
