namespace Heartbeat.Protocol.Compression;

/// <summary>
/// A bounded bzip2 decoder for 3.0.6's <c>compression bz2</c> payloads (wire-format.md §9.2). .NET has no
/// bzip2 and none of our allowed packages offers one, so this is a small, strict implementation of the format:
/// Huffman + MTF + inverse BWT + run-length. It refuses anything malformed with a reason, checks block and
/// stream CRCs, and never produces more than the caller's output cap.
/// </summary>
public static class BZip2Decoder
{
    private const ulong BlockMagic = 0x3141_5926_5359;
    private const ulong EndMagic = 0x1772_4538_5090;
    private const int MaxGroups = 6;
    private const int MaxAlphabet = 258;
    private const int MaxCodeLength = 20;
    private const int GroupSize = 50;
    private const int MaxSelectors = 18_002;

    /// <summary>Decompresses one or more concatenated bzip2 streams. Returns false with a reason on any error or when the output would exceed <paramref name="maxOutput"/>.</summary>
    public static bool TryDecompress(ReadOnlySpan<byte> input, int maxOutput, out byte[] output, out string error)
    {
        var result = new List<byte>(Math.Min(maxOutput, input.Length * 4));
        var reader = new BitReader(input);
        output = [];
        do
        {
            if (!DecodeStream(ref reader, result, maxOutput, out error))
            {
                return false;
            }

            reader.AlignToByte();
        }
        while (reader.RemainingBits >= 32 && reader.PeekByteAligned("BZh"u8));

        output = [.. result];
        error = string.Empty;
        return true;
    }

    private static bool DecodeStream(ref BitReader reader, List<byte> output, int maxOutput, out string error)
    {
        if (reader.Read(8) != 'B' || reader.Read(8) != 'Z' || reader.Read(8) != 'h')
        {
            error = "no bzip2 stream header 'BZh'";
            return false;
        }

        int level = (int)reader.Read(8) - '0';
        if (level is < 1 or > 9)
        {
            error = "bzip2 block size digit is not 1-9";
            return false;
        }

        int blockSizeMax = level * 100_000;
        var tt = new int[blockSizeMax];
        uint streamCrc = 0;
        while (true)
        {
            if (reader.Overrun)
            {
                error = "bzip2 stream truncated";
                return false;
            }

            ulong magic = ((ulong)reader.Read(24) << 24) | reader.Read(24);
            uint storedCrc = reader.Read(32);
            if (magic == EndMagic)
            {
                if (reader.Overrun)
                {
                    error = "bzip2 stream truncated";
                    return false;
                }

                if (storedCrc != streamCrc)
                {
                    error = "bzip2 stream CRC mismatch";
                    return false;
                }

                error = string.Empty;
                return true;
            }

            if (magic != BlockMagic)
            {
                error = "bad bzip2 block magic";
                return false;
            }

            if (!DecodeBlock(ref reader, tt, output, maxOutput, out uint blockCrc, out error))
            {
                return false;
            }

            if (blockCrc != storedCrc)
            {
                error = "bzip2 block CRC mismatch";
                return false;
            }

            streamCrc = ((streamCrc << 1) | (streamCrc >> 31)) ^ blockCrc;
        }
    }

    private static bool DecodeBlock(ref BitReader reader, int[] tt, List<byte> output, int maxOutput, out uint blockCrc, out string error)
    {
        blockCrc = 0;
        if (reader.Read(1) != 0)
        {
            error = "randomised bzip2 blocks are not supported (no bzip2 since 0.9.5 writes them)";
            return false;
        }

        int origPtr = (int)reader.Read(24);

        // Symbol map: which byte values occur, 16 groups of 16.
        Span<byte> seqToUnseq = stackalloc byte[256];
        int inUse = 0;
        uint usedGroups = reader.Read(16);
        for (int i = 0; i < 16; i++)
        {
            if ((usedGroups & (0x8000u >> i)) != 0)
            {
                uint bits = reader.Read(16);
                for (int j = 0; j < 16; j++)
                {
                    if ((bits & (0x8000u >> j)) != 0)
                    {
                        seqToUnseq[inUse++] = (byte)((i * 16) + j);
                    }
                }
            }
        }

        if (inUse == 0)
        {
            error = "bzip2 block uses no symbols";
            return false;
        }

        int alphaSize = inUse + 2;
        int groups = (int)reader.Read(3);
        int selectorCount = (int)reader.Read(15);
        if (groups is < 2 or > MaxGroups || selectorCount < 1)
        {
            error = "bad bzip2 Huffman group or selector count";
            return false;
        }

        Span<byte> mtfGroups = stackalloc byte[MaxGroups];
        for (int i = 0; i < groups; i++)
        {
            mtfGroups[i] = (byte)i;
        }

        var selectors = new byte[Math.Min(selectorCount, MaxSelectors)];
        for (int i = 0; i < selectorCount; i++)
        {
            int j = 0;
            while (reader.Read(1) == 1)
            {
                if (++j >= groups)
                {
                    error = "bad bzip2 selector";
                    return false;
                }
            }

            if (reader.Overrun)
            {
                error = "bzip2 stream truncated";
                return false;
            }

            byte value = mtfGroups[j];
            for (; j > 0; j--)
            {
                mtfGroups[j] = mtfGroups[j - 1];
            }

            mtfGroups[0] = value;
            if (i < selectors.Length)
            {
                selectors[i] = value; // bzip2 1.0.8 also reads and ignores selectors beyond 18002.
            }
        }

        // Code lengths, delta coded per table.
        var tables = new HuffmanTable[groups];
        Span<byte> lengths = stackalloc byte[MaxAlphabet];
        for (int t = 0; t < groups; t++)
        {
            int current = (int)reader.Read(5);
            for (int s = 0; s < alphaSize; s++)
            {
                while (true)
                {
                    if (current is < 1 or > MaxCodeLength || reader.Overrun)
                    {
                        error = "bad bzip2 code length";
                        return false;
                    }

                    if (reader.Read(1) == 0)
                    {
                        break;
                    }

                    current += reader.Read(1) == 0 ? 1 : -1;
                }

                lengths[s] = (byte)current;
            }

            if (!HuffmanTable.TryBuild(lengths[..alphaSize], out tables[t]))
            {
                error = "bzip2 Huffman code lengths do not form a valid code";
                return false;
            }
        }

        // Huffman + MTF + RUNA/RUNB decoding into tt (the BWT last column).
        Span<byte> mtf = stackalloc byte[256];
        for (int i = 0; i < 256; i++)
        {
            mtf[i] = (byte)i;
        }

        Span<int> counts = stackalloc int[256];
        counts.Clear();
        int eob = inUse + 1;
        int length = 0;
        int groupIndex = -1;
        int groupRemaining = 0;
        int runLength = 0;
        int runWeight = 1;
        HuffmanTable table = tables[0];
        while (true)
        {
            if (groupRemaining == 0)
            {
                if (++groupIndex >= selectors.Length)
                {
                    error = "bzip2 block has more symbols than selectors";
                    return false;
                }

                table = tables[selectors[groupIndex]];
                groupRemaining = GroupSize;
            }

            groupRemaining--;
            int symbol = table.Decode(ref reader);
            if (symbol < 0 || reader.Overrun)
            {
                error = "bad bzip2 Huffman code or truncated block";
                return false;
            }

            if (symbol <= 1)
            {
                // RUNA / RUNB: bijective base-2 run length of the front MTF symbol.
                if (runWeight > tt.Length)
                {
                    error = "bzip2 run too long";
                    return false;
                }

                runLength += runWeight << symbol;
                runWeight <<= 1;
                continue;
            }

            if (runLength > 0)
            {
                if (runLength > tt.Length - length)
                {
                    error = "bzip2 block exceeds its declared size";
                    return false;
                }

                byte value = seqToUnseq[mtf[0]];
                counts[value] += runLength;
                tt.AsSpan(length, runLength).Fill(value);
                length += runLength;
                runLength = 0;
                runWeight = 1;
            }

            if (symbol == eob)
            {
                break;
            }

            if (length >= tt.Length)
            {
                error = "bzip2 block exceeds its declared size";
                return false;
            }

            int index = symbol - 1;
            byte front = mtf[index];
            mtf[..index].CopyTo(mtf[1..]);
            mtf[0] = front;
            byte symbolByte = seqToUnseq[front];
            counts[symbolByte]++;
            tt[length++] = symbolByte;
        }

        if (origPtr >= length)
        {
            error = "bzip2 origin pointer outside the block";
            return false;
        }

        // Inverse BWT: turn tt into a linked list through the sorted first column.
        Span<int> starts = stackalloc int[256];
        int sum = 0;
        for (int i = 0; i < 256; i++)
        {
            starts[i] = sum;
            sum += counts[i];
        }

        for (int i = 0; i < length; i++)
        {
            int b = tt[i] & 0xff;
            tt[starts[b]++] |= i << 8;
        }

        // Walk the list and undo the initial run-length step (4 equal bytes are followed by a repeat count).
        uint crc = 0xFFFF_FFFF;
        int pos = tt[origPtr] >> 8;
        int last = -1;
        int sameCount = 0;
        for (int n = 0; n < length; n++)
        {
            int entry = tt[pos];
            byte b = (byte)entry;
            pos = entry >> 8;
            if (sameCount == 4)
            {
                if (b > 0)
                {
                    if (output.Count + b > maxOutput)
                    {
                        error = $"decompressed data exceeds {maxOutput} bytes";
                        return false;
                    }

                    for (int r = 0; r < b; r++)
                    {
                        output.Add((byte)last);
                        crc = Crc32Msb.UpdateByte(crc, (byte)last);
                    }
                }

                sameCount = 0;
                last = -1;
                continue;
            }

            sameCount = b == last ? sameCount + 1 : 1;
            last = b;
            if (output.Count >= maxOutput)
            {
                error = $"decompressed data exceeds {maxOutput} bytes";
                return false;
            }

            output.Add(b);
            crc = Crc32Msb.UpdateByte(crc, b);
        }

        blockCrc = ~crc;
        error = string.Empty;
        return true;
    }

    /// <summary>A canonical Huffman code decoded with per-length limits (as bzip2 itself does).</summary>
    private sealed class HuffmanTable
    {
        private readonly int[] _limit = new int[MaxCodeLength + 2];
        private readonly int[] _base = new int[MaxCodeLength + 2];
        private readonly int[] _perm = new int[MaxAlphabet];
        private int _minLength;
        private int _maxLength;

        public static bool TryBuild(ReadOnlySpan<byte> lengths, out HuffmanTable table)
        {
            table = new HuffmanTable { _minLength = MaxCodeLength, _maxLength = 0 };
            foreach (byte l in lengths)
            {
                table._minLength = Math.Min(table._minLength, l);
                table._maxLength = Math.Max(table._maxLength, l);
            }

            int p = 0;
            for (int len = table._minLength; len <= table._maxLength; len++)
            {
                for (int s = 0; s < lengths.Length; s++)
                {
                    if (lengths[s] == len)
                    {
                        table._perm[p++] = s;
                    }
                }
            }

            // Kraft check: an over-full code cannot be decoded unambiguously.
            long kraft = 0;
            foreach (byte l in lengths)
            {
                kraft += 1L << (MaxCodeLength - l);
            }

            if (kraft > 1L << MaxCodeLength)
            {
                return false;
            }

            int code = 0;
            int index = 0;
            for (int len = table._minLength; len <= table._maxLength; len++)
            {
                int countAtLength = 0;
                foreach (byte l in lengths)
                {
                    if (l == len)
                    {
                        countAtLength++;
                    }
                }

                table._base[len] = index - code;
                code += countAtLength;
                index += countAtLength;
                table._limit[len] = code - 1;
                code <<= 1;
            }

            return true;
        }

        public int Decode(ref BitReader reader)
        {
            int code = (int)reader.Read(_minLength);
            for (int len = _minLength; len <= _maxLength; len++)
            {
                if (code <= _limit[len])
                {
                    int index = _base[len] + code;
                    return index >= 0 && index < _perm.Length ? _perm[index] : -1;
                }

                code = (code << 1) | (int)reader.Read(1);
            }

            return -1;
        }
    }

    /// <summary>MSB-first bit reader; reading past the end yields zeros and sets <see cref="Overrun"/>.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private long _bitPos;

        public readonly bool Overrun => _bitPos > (long)_data.Length * 8;

        public readonly long RemainingBits => ((long)_data.Length * 8) - _bitPos;

        public uint Read(int count)
        {
            uint value = 0;
            for (int i = 0; i < count; i++)
            {
                long byteIndex = _bitPos >> 3;
                uint bit = byteIndex < _data.Length ? (uint)(_data[(int)byteIndex] >> (7 - (int)(_bitPos & 7))) & 1 : 0;
                value = (value << 1) | bit;
                _bitPos++;
            }

            return value;
        }

        public void AlignToByte() => _bitPos = (_bitPos + 7) & ~7L;

        public readonly bool PeekByteAligned(ReadOnlySpan<byte> prefix) => _data[(int)(_bitPos >> 3)..].StartsWith(prefix);
    }
}
