using System.Buffers.Binary;
using System.Net;

namespace Heartbeat.Protocol.Capture;

/// <summary>
/// Reads libpcap and pcapng files from memory and yields their IPv4 UDP datagrams, with IP fragments reassembled.
/// Link types: Ethernet (with 802.1Q tags), Linux cooked v1 and v2, raw IPv4. Malformed input becomes
/// <see cref="CaptureProblem"/>s, never an exception.
/// </summary>
public sealed class CaptureReader
{
    private const int LinkEthernet = 1;
    private const int LinkRaw = 101;
    private const int LinkLinuxSll = 113;
    private const int LinkIpv4 = 228;
    private const int LinkLinuxSll2 = 276;

    /// <summary>Fragment buffers are capped so a hostile capture cannot exhaust memory.</summary>
    private const int MaxReassembled = 65_535;
    private const int MaxPendingFragmentSets = 1024;

    private readonly List<CapturedDatagram> _datagrams = [];
    private readonly List<CaptureProblem> _problems = [];
    private readonly Dictionary<(uint Src, uint Dst, ushort Id, byte Proto), FragmentSet> _fragments = [];
    private int _frame;

    private CaptureReader()
    {
    }

    public IReadOnlyList<CapturedDatagram> Datagrams => _datagrams;

    public IReadOnlyList<CaptureProblem> Problems => _problems;

    public int PacketCount => _frame;

    public static CaptureReader Read(ReadOnlySpan<byte> file)
    {
        var reader = new CaptureReader();
        if (file.Length < 4)
        {
            reader._problems.Add(new CaptureProblem(0, "file too short for a capture header"));
            return reader;
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        switch (magic)
        {
            case 0x0A0D_0D0A:
                reader.ReadPcapNg(file);
                break;
            case 0xA1B2_C3D4 or 0xD4C3_B2A1 or 0xA1B2_3C4D or 0x4D3C_B2A1:
                reader.ReadPcap(file, magic);
                break;
            default:
                reader._problems.Add(new CaptureProblem(0, $"not a pcap or pcapng file (magic {magic:x8})"));
                break;
        }

        foreach (var pending in reader._fragments.Values)
        {
            reader._problems.Add(new CaptureProblem(pending.FirstFrame, "IP fragments never completed"));
        }

        return reader;
    }

    private void ReadPcap(ReadOnlySpan<byte> file, uint magic)
    {
        bool bigEndian = magic is 0xD4C3_B2A1 or 0x4D3C_B2A1;
        bool nanos = magic is 0xA1B2_3C4D or 0x4D3C_B2A1;
        if (file.Length < 24)
        {
            _problems.Add(new CaptureProblem(0, "pcap header truncated"));
            return;
        }

        int linkType = (int)(Read32(file[20..], bigEndian) & 0x0FFF_FFFF);
        int pos = 24;
        while (pos + 16 <= file.Length)
        {
            uint seconds = Read32(file[pos..], bigEndian);
            uint fraction = Read32(file[(pos + 4)..], bigEndian);
            uint captured = Read32(file[(pos + 8)..], bigEndian);
            pos += 16;
            _frame++;
            if (captured > file.Length - pos)
            {
                _problems.Add(new CaptureProblem(_frame, "packet record truncated"));
                return;
            }

            long ticks = (seconds * TimeSpan.TicksPerSecond) + (nanos ? fraction / 100 : fraction * 10L);
            HandleFrame(linkType, file.Slice(pos, (int)captured), DateTimeOffset.UnixEpoch.AddTicks(ticks));
            pos += (int)captured;
        }
    }

    private void ReadPcapNg(ReadOnlySpan<byte> file)
    {
        var interfaces = new List<(int LinkType, long UnitsPerSecond)>();
        bool bigEndian = false;
        int pos = 0;
        while (pos + 12 <= file.Length)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(file[pos..]);
            if (type == 0x0A0D_0D0A)
            {
                bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(file[(pos + 8)..]) != 0x1A2B_3C4D;
                interfaces.Clear();
            }
            else if (bigEndian)
            {
                type = BinaryPrimitives.ReverseEndianness(type);
            }

            uint length = Read32(file[(pos + 4)..], bigEndian);
            if (length < 12 || length % 4 != 0 || length > file.Length - pos)
            {
                _problems.Add(new CaptureProblem(_frame, $"pcapng block at offset {pos} has a bad length {length}"));
                return;
            }

            var body = file.Slice(pos + 8, (int)length - 12);
            switch (type)
            {
                case 1 when body.Length >= 8: // Interface Description Block
                    interfaces.Add((Read16(body, bigEndian), ReadTimestampResolution(body[8..], bigEndian)));
                    break;
                case 6 when body.Length >= 20: // Enhanced Packet Block
                    _frame++;
                    int iface = (int)Read32(body, bigEndian);
                    ulong stamp = ((ulong)Read32(body[4..], bigEndian) << 32) | Read32(body[8..], bigEndian);
                    uint captured = Read32(body[12..], bigEndian);
                    if (iface >= interfaces.Count || captured > body.Length - 20)
                    {
                        _problems.Add(new CaptureProblem(_frame, "packet names an unknown interface or is truncated"));
                        break;
                    }

                    var (linkType, units) = interfaces[iface];
                    HandleFrame(linkType, body.Slice(20, (int)captured), ToTime(stamp, units));
                    break;
                case 3 when body.Length >= 4: // Simple Packet Block
                    _frame++;
                    if (interfaces.Count > 0)
                    {
                        HandleFrame(interfaces[0].LinkType, body[4..], DateTimeOffset.UnixEpoch);
                    }

                    break;
            }

            pos += (int)length;
        }
    }

    private static long ReadTimestampResolution(ReadOnlySpan<byte> options, bool bigEndian)
    {
        int pos = 0;
        while (pos + 4 <= options.Length)
        {
            int code = Read16(options[pos..], bigEndian);
            int length = Read16(options[(pos + 2)..], bigEndian);
            if (code == 0 || pos + 4 + length > options.Length)
            {
                break;
            }

            if (code == 9 && length >= 1)
            {
                byte resolution = options[pos + 4];
                int exponent = resolution & 0x7F;
                if (exponent > 18)
                {
                    break;
                }

                return (resolution & 0x80) == 0 ? (long)Math.Pow(10, exponent) : 1L << exponent;
            }

            pos += 4 + ((length + 3) & ~3);
        }

        return 1_000_000;
    }

    private static DateTimeOffset ToTime(ulong stamp, long unitsPerSecond)
    {
        ulong seconds = stamp / (ulong)unitsPerSecond;
        ulong rest = stamp % (ulong)unitsPerSecond;
        if (seconds > 253_402_300_799UL)
        {
            return DateTimeOffset.UnixEpoch;
        }

        return DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks((long)(rest * (ulong)TimeSpan.TicksPerSecond / (ulong)unitsPerSecond));
    }

    private void HandleFrame(int linkType, ReadOnlySpan<byte> frame, DateTimeOffset time)
    {
        ReadOnlySpan<byte> ip;
        switch (linkType)
        {
            case LinkEthernet:
                int offset = 12;
                if (frame.Length < 14)
                {
                    return;
                }

                int etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
                while (etherType is 0x8100 or 0x88A8 && frame.Length >= offset + 6)
                {
                    offset += 4;
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
                }

                if (etherType != 0x0800)
                {
                    return; // ARP and others are not UDP.
                }

                ip = frame[(offset + 2)..];
                break;
            case LinkLinuxSll:
                if (frame.Length < 16 || BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) != 0x0800)
                {
                    return;
                }

                ip = frame[16..];
                break;
            case LinkLinuxSll2:
                if (frame.Length < 20 || BinaryPrimitives.ReadUInt16BigEndian(frame) != 0x0800)
                {
                    return;
                }

                ip = frame[20..];
                break;
            case LinkRaw or LinkIpv4:
                ip = frame;
                break;
            default:
                _problems.Add(new CaptureProblem(_frame, $"link type {linkType} is not supported (Ethernet, Linux cooked, raw IP are)"));
                return;
        }

        HandleIpv4(ip, time);
    }

    private void HandleIpv4(ReadOnlySpan<byte> ip, DateTimeOffset time)
    {
        if (ip.Length < 20 || ip[0] >> 4 != 4)
        {
            return;
        }

        int headerLength = (ip[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (headerLength < 20 || totalLength < headerLength || totalLength > ip.Length)
        {
            _problems.Add(new CaptureProblem(_frame, "IPv4 header lengths are inconsistent or the packet was cut by the snap length"));
            return;
        }

        byte protocol = ip[9];
        if (protocol != 17)
        {
            return;
        }

        uint src = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        uint dst = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        int flagsOffset = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        bool moreFragments = (flagsOffset & 0x2000) != 0;
        int fragmentOffset = (flagsOffset & 0x1FFF) * 8;
        var data = ip[headerLength..totalLength];
        byte tos = ip[1];
        byte ttl = ip[8];
        if (!moreFragments && fragmentOffset == 0)
        {
            HandleUdp(data, src, dst, tos, ttl, time);
            return;
        }

        var key = (src, dst, id, protocol);
        if (!_fragments.TryGetValue(key, out var set))
        {
            if (_fragments.Count >= MaxPendingFragmentSets)
            {
                _problems.Add(new CaptureProblem(_frame, "too many incomplete IP fragment sets"));
                return;
            }

            set = new FragmentSet(_frame);
            _fragments[key] = set;
        }

        if (fragmentOffset + data.Length > MaxReassembled || !set.Add(fragmentOffset, data, moreFragments))
        {
            _problems.Add(new CaptureProblem(_frame, "IP fragment overlaps, repeats or exceeds 64 KiB"));
            _fragments.Remove(key);
            return;
        }

        if (set.IsComplete)
        {
            _fragments.Remove(key);
            HandleUdp(set.Assemble(), src, dst, tos, ttl, time);
        }
    }

    private void HandleUdp(ReadOnlySpan<byte> udp, uint src, uint dst, byte tos, byte ttl, DateTimeOffset time)
    {
        if (udp.Length < 8)
        {
            _problems.Add(new CaptureProblem(_frame, "UDP header truncated"));
            return;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        if (length < 8 || length > udp.Length)
        {
            _problems.Add(new CaptureProblem(_frame, "UDP length field does not match the packet"));
            return;
        }

        _datagrams.Add(new CapturedDatagram(
            _frame,
            time,
            new IPAddress(BinaryPrimitives.ReverseEndianness(src)),
            BinaryPrimitives.ReadUInt16BigEndian(udp),
            new IPAddress(BinaryPrimitives.ReverseEndianness(dst)),
            BinaryPrimitives.ReadUInt16BigEndian(udp[2..]),
            tos,
            ttl,
            udp[8..length].ToArray()));
    }

    private static uint Read32(ReadOnlySpan<byte> s, bool bigEndian) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    private static int Read16(ReadOnlySpan<byte> s, bool bigEndian) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    /// <summary>The fragments of one IP datagram, kept sorted; completes when the bytes 0..end are covered without holes.</summary>
    private sealed class FragmentSet(int firstFrame)
    {
        private readonly SortedList<int, byte[]> _parts = [];
        private int _end = -1;

        public int FirstFrame { get; } = firstFrame;

        public bool IsComplete
        {
            get
            {
                if (_end < 0)
                {
                    return false;
                }

                int covered = 0;
                foreach (var (offset, data) in _parts)
                {
                    if (offset != covered)
                    {
                        return false;
                    }

                    covered += data.Length;
                }

                return covered == _end;
            }
        }

        public bool Add(int offset, ReadOnlySpan<byte> data, bool more)
        {
            if (_parts.ContainsKey(offset))
            {
                return false;
            }

            _parts.Add(offset, data.ToArray());
            if (!more)
            {
                _end = offset + data.Length;
            }

            return true;
        }

        public byte[] Assemble()
        {
            var result = new byte[_end];
            foreach (var (offset, data) in _parts)
            {
                data.CopyTo(result, offset);
            }

            return result;
        }
    }
}
