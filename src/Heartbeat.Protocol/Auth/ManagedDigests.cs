using System.Buffers.Binary;
using System.Numerics;

namespace Heartbeat.Protocol.Auth;

/// <summary>
/// MD5 (RFC 1321), SHA-1 (FIPS 180-4) and their HMAC (RFC 2104), in managed code. Why not System.Security.Cryptography:
/// on Linux that loads OpenSSL (libcrypto and libssl, about 3.7 MB resident in every daemon process) for a digest of a
/// few hundred bytes per heartbeat; these are short, allocation-free once a key is prepared (<see cref="HmacKey"/>), and
/// checked against the platform's own implementations and the RFC test vectors. Digests of public data for authentication of a LAN protocol designed
/// around them; not a general-purpose crypto library.
/// </summary>
public static class ManagedDigests
{
    public const int BlockSize = 64;
    public const int Md5Size = 16;
    public const int Sha1Size = 20;

    /// <summary>MD5's sine-derived constants: floor(|sin(i + 1)| · 2^32) (RFC 1321 §3.4).</summary>
    private static readonly uint[] Md5Constants = [.. Enumerable.Range(1, 64).Select(i => (uint)(Math.Abs(Math.Sin(i)) * 4294967296.0))];

    private static readonly int[] Md5Shifts = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

    /// <summary>The initial chaining values (RFC 1321 §3.3, FIPS 180-4 §5.3.1); one array each, never written.</summary>
    private static readonly uint[] Md5Initial = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

    private static readonly uint[] Sha1Initial = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];

    public static void Md5(ReadOnlySpan<byte> data, Span<byte> digest) => Digest(data, digest, Md5Block, bigEndianLength: false, Md5Initial);

    public static void Sha1(ReadOnlySpan<byte> data, Span<byte> digest) => Digest(data, digest, Sha1Block, bigEndianLength: true, Sha1Initial);

    /// <summary>HMAC-MD5: keys longer than a block are hashed first, as the RFC (and 3.0.6) do.</summary>
    public static void HmacMd5(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac) => HmacKey.Md5(key).Compute(data, mac);

    public static void HmacSha1(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac) => HmacKey.Sha1(key).Compute(data, mac);

    private delegate void BlockFunction(Span<uint> state, ReadOnlySpan<byte> block);

    /// <summary>
    /// One key made ready for HMAC: the chaining values after the (K ^ ipad) and (K ^ opad) blocks, which depend on the
    /// key alone. An authkeys key keeps one, so each digest of a datagram hashes only the data and the inner digest:
    /// two compression rounds fewer of about seven for a keepalive.
    /// </summary>
    public sealed class HmacKey
    {
        private readonly uint[] _inner;
        private readonly uint[] _outer;
        private readonly BlockFunction _block;
        private readonly bool _bigEndianLength;

        private HmacKey(ReadOnlySpan<byte> key, int size, BlockFunction block, bool bigEndianLength, uint[] initial)
        {
            Size = size;
            _block = block;
            _bigEndianLength = bigEndianLength;
            Span<byte> paddedKey = stackalloc byte[BlockSize];
            paddedKey.Clear();
            if (key.Length > BlockSize)
            {
                Digest(key, paddedKey[..size], block, bigEndianLength, initial);
            }
            else
            {
                key.CopyTo(paddedKey);
            }

            _inner = PadState(paddedKey, 0x36, block, initial);
            _outer = PadState(paddedKey, 0x5c, block, initial);
            paddedKey.Clear();
        }

        /// <summary>The digest's length in bytes.</summary>
        public int Size { get; }

        public static HmacKey Md5(ReadOnlySpan<byte> key) => new(key, Md5Size, Md5Block, bigEndianLength: false, Md5Initial);

        public static HmacKey Sha1(ReadOnlySpan<byte> key) => new(key, Sha1Size, Sha1Block, bigEndianLength: true, Sha1Initial);

        /// <summary>The HMAC of an authkeys method: md5 or sha1 (crc is keyless and has none).</summary>
        public static HmacKey For(AuthMethod method, ReadOnlySpan<byte> key) => method switch
        {
            AuthMethod.Md5 => Md5(key),
            AuthMethod.Sha1 => Sha1(key),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "crc has no HMAC"),
        };

        /// <summary>H((K ^ opad) || H((K ^ ipad) || data)) into the first <see cref="Size"/> bytes of <paramref name="mac"/>.</summary>
        public void Compute(ReadOnlySpan<byte> data, Span<byte> mac)
        {
            Span<byte> inner = stackalloc byte[Sha1Size];
            DigestFrom(_inner, BlockSize, data, inner[..Size], _block, _bigEndianLength);
            DigestFrom(_outer, BlockSize, inner[..Size], mac[..Size], _block, _bigEndianLength);
        }

        private static uint[] PadState(ReadOnlySpan<byte> paddedKey, byte pad, BlockFunction block, uint[] initial)
        {
            Span<byte> padded = stackalloc byte[BlockSize];
            for (int i = 0; i < BlockSize; i++)
            {
                padded[i] = (byte)(paddedKey[i] ^ pad);
            }

            uint[] state = [.. initial];
            block(state, padded);
            padded.Clear();
            return state;
        }
    }

    private static void Digest(ReadOnlySpan<byte> data, Span<byte> digest, BlockFunction block, bool bigEndianLength, uint[] initial) =>
        DigestFrom(initial, 0, data, digest, block, bigEndianLength);

    /// <summary>The digest of data, continuing from <paramref name="start"/>, the state after <paramref name="alreadyHashed"/> bytes (whole blocks).</summary>
    private static void DigestFrom(ReadOnlySpan<uint> start, int alreadyHashed, ReadOnlySpan<byte> data, Span<byte> digest, BlockFunction block, bool bigEndianLength)
    {
        Span<uint> state = stackalloc uint[start.Length];
        start.CopyTo(state);
        Hash(data, state, block, bigEndianLength, alreadyHashed);
        for (int i = 0; i < state.Length; i++)
        {
            if (bigEndianLength)
            {
                BinaryPrimitives.WriteUInt32BigEndian(digest[(i * 4)..], state[i]);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(digest[(i * 4)..], state[i]);
            }
        }
    }

    /// <summary>Merkle–Damgård: whole blocks, then 0x80, zeros and the bit length (8 bytes) in one or two final blocks.</summary>
    private static void Hash(ReadOnlySpan<byte> data, Span<uint> state, BlockFunction block, bool bigEndianLength, int alreadyHashed = 0)
    {
        int whole = data.Length / BlockSize * BlockSize;
        for (int offset = 0; offset < whole; offset += BlockSize)
        {
            block(state, data.Slice(offset, BlockSize));
        }

        Span<byte> tail = stackalloc byte[BlockSize * 2];
        tail.Clear();
        int rest = data.Length - whole;
        data[whole..].CopyTo(tail);
        tail[rest] = 0x80;
        int tailLength = rest + 1 + 8 <= BlockSize ? BlockSize : BlockSize * 2;
        ulong bits = (ulong)(data.Length + alreadyHashed) * 8;
        if (bigEndianLength)
        {
            BinaryPrimitives.WriteUInt64BigEndian(tail[(tailLength - 8)..], bits);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(tail[(tailLength - 8)..], bits);
        }

        for (int offset = 0; offset < tailLength; offset += BlockSize)
        {
            block(state, tail.Slice(offset, BlockSize));
        }
    }

    private static void Md5Block(Span<uint> state, ReadOnlySpan<byte> block)
    {
        Span<uint> m = stackalloc uint[16];
        for (int i = 0; i < 16; i++)
        {
            m[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * 4)..]);
        }

        uint a = state[0], b = state[1], c = state[2], d = state[3];
        for (int i = 0; i < 64; i++)
        {
            uint f;
            int g;
            switch (i >> 4)
            {
                case 0:
                    f = (b & c) | (~b & d);
                    g = i;
                    break;
                case 1:
                    f = (d & b) | (~d & c);
                    g = (5 * i + 1) & 15;
                    break;
                case 2:
                    f = b ^ c ^ d;
                    g = (3 * i + 5) & 15;
                    break;
                default:
                    f = c ^ (b | ~d);
                    g = (7 * i) & 15;
                    break;
            }

            f = f + a + Md5Constants[i] + m[g];
            a = d;
            d = c;
            c = b;
            b += BitOperations.RotateLeft(f, Md5Shifts[((i >> 4) << 2) | (i & 3)]);
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
    }

    private static void Sha1Block(Span<uint> state, ReadOnlySpan<byte> block)
    {
        Span<uint> w = stackalloc uint[80];
        for (int t = 0; t < 16; t++)
        {
            w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(t * 4)..]);
        }

        for (int t = 16; t < 80; t++)
        {
            w[t] = BitOperations.RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        }

        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (int t = 0; t < 80; t++)
        {
            uint f, k;
            if (t < 20)
            {
                f = (b & c) | (~b & d);
                k = 0x5A827999;
            }
            else if (t < 40)
            {
                f = b ^ c ^ d;
                k = 0x6ED9EBA1;
            }
            else if (t < 60)
            {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8F1BBCDC;
            }
            else
            {
                f = b ^ c ^ d;
                k = 0xCA62C1D6;
            }

            uint temp = BitOperations.RotateLeft(a, 5) + f + e + k + w[t];
            e = d;
            d = c;
            c = BitOperations.RotateLeft(b, 30);
            b = a;
            a = temp;
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }
}
