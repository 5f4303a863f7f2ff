using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Net;

/// <summary>An IPv4 or IPv6 address on an interface, as the kernel reports it (RTM_NEWADDR).</summary>
/// <param name="Flags">IFA_F_* (the 32-bit IFA_FLAGS when given, else ifa_flags): for IPv6, tentative and dadfailed.</param>
public sealed record InterfaceAddress(int Index, IPAddress Address, int PrefixLength, IPAddress? Broadcast, string? Label, uint Flags = 0)
{
    /// <summary>IFA_F_DADFAILED (linux/if_addr.h): duplicate address detection found the address in use on the link.</summary>
    public const uint DadFailedFlag = 0x08;

    /// <summary>IFA_F_TENTATIVE: duplicate address detection has not finished; the kernel does not use the address yet.</summary>
    public const uint TentativeFlag = 0x40;

    public bool DadFailed => (Flags & DadFailedFlag) != 0;

    public bool Tentative => (Flags & TentativeFlag) != 0;
}

/// <summary>A network interface: index, name, MAC (RTM_NEWLINK).</summary>
public sealed record LinkInfo(int Index, string Name, byte[] Mac, bool Up);

/// <summary>An IPv4 or IPv6 route of the main table (RTM_NEWROUTE): destination/prefix, the outgoing interface, the gateway if any.</summary>
public sealed record RouteInfo(IPAddress Destination, int PrefixLength, int OutputIndex, byte Scope, byte Protocol, IPAddress? Gateway = null)
{
    /// <summary>
    /// A directly connected network: IPv4 marks it with scope link; IPv6 routes are all of scope universe, and a
    /// connected one is simply a route with no gateway (the prefix route the kernel adds with an address, or a
    /// <c>dev</c>-only route), not the default.
    /// </summary>
    public bool IsConnected => Destination.AddressFamily == AddressFamily.InterNetwork
        ? Scope == 253 // RT_SCOPE_LINK
        : Gateway is null && PrefixLength > 0 && !Destination.IsIPv6Multicast;
}

/// <summary>
/// rtnetlink requests and replies as bytes (linux/rtnetlink.h): pure, so it is tested without a kernel. Every message is
/// a <see cref="NlMsgHdr"/>, a fixed struct, then 4-byte aligned attributes (<see cref="RtAttr"/> + value).
/// </summary>
public static class NetlinkMessages
{
    public const ushort RtmNewLink = 16;
    public const ushort RtmGetLink = 18;
    public const ushort RtmNewAddr = 20;
    public const ushort RtmDelAddr = 21;
    public const ushort RtmGetAddr = 22;
    public const ushort RtmNewRoute = 24;
    public const ushort RtmGetRoute = 26;
    public const ushort NlmsgError = 2;
    public const ushort NlmsgDone = 3;
    public const ushort FlagRequest = 0x1;
    public const ushort FlagAck = 0x4;
    public const ushort FlagDump = 0x300;
    public const ushort FlagExclusive = 0x200;
    public const ushort FlagCreate = 0x400;
    public const ushort IfaAddress = 1;
    public const ushort IfaLocal = 2;
    public const ushort IfaLabel = 3;
    public const ushort IfaBroadcast = 4;
    public const ushort IfaFlags = 8;
    public const ushort IflaAddress = 1;
    public const ushort IflaIfname = 3;
    public const ushort RtaDst = 1;
    public const ushort RtaOif = 4;
    public const ushort RtaGateway = 5;
    public const byte RtTableMain = 254;
    public const int IffUp = 0x1;

    private static readonly int HeaderSize = Marshal.SizeOf<NlMsgHdr>();

    public static byte[] DumpRequest(ushort type, uint sequence)
    {
        // A dump needs only the family in its fixed part; rtgenmsg is one byte, padded to the ifinfomsg size here.
        // AF_UNSPEC: IPv4 and IPv6 alike (the parsers skip any other family).
        var writer = new Writer(type, (ushort)(FlagRequest | FlagDump), sequence);
        writer.Struct(new IfInfoMsg { Family = (byte)AddressFamily.Unspecified });
        return writer.Finish();
    }

    /// <summary>
    /// RTM_NEWADDR (create, exclusive) or RTM_DELADDR for an IPv4 or IPv6 address, with an ACK requested. An IPv6
    /// address goes without nodad: the kernel runs duplicate address detection, and the caller waits for its verdict.
    /// </summary>
    public static byte[] AddressRequest(bool add, uint sequence, int index, IPAddress address, int prefixLength, IPAddress? broadcast, string? label)
    {
        ushort flags = (ushort)(FlagRequest | FlagAck | (add ? FlagCreate | FlagExclusive : 0));
        var writer = new Writer(add ? RtmNewAddr : RtmDelAddr, flags, sequence);
        writer.Struct(new IfAddrMsg { Family = FamilyOf(address), PrefixLength = (byte)prefixLength, Index = (uint)index });
        writer.Attribute(IfaLocal, address.GetAddressBytes());
        writer.Attribute(IfaAddress, address.GetAddressBytes());
        if (add && broadcast is not null)
        {
            writer.Attribute(IfaBroadcast, broadcast.GetAddressBytes());
        }

        if (add && label is not null)
        {
            byte[] text = Encoding.ASCII.GetBytes(label + "\0");
            writer.Attribute(IfaLabel, text);
        }

        return writer.Finish();
    }

    /// <summary>Walks the messages of one receive buffer. Returns false at NLMSG_DONE; an NLMSG_ERROR gives its errno (0 = ACK).</summary>
    public static bool Parse(ReadOnlySpan<byte> buffer, uint sequence, Action<ushort, ReadOnlySpan<byte>> onMessage, out int? errno)
    {
        errno = null;
        int offset = 0;
        while (Next(buffer, ref offset, out var header, out var payload))
        {
            if (header.Sequence != sequence)
            {
                continue; // a late answer to an earlier request
            }

            switch (header.Type)
            {
                case NlmsgDone:
                    return false;
                case NlmsgError:
                    errno = -MemoryMarshal.Read<int>(payload);
                    return false;
                default:
                    onMessage(header.Type, payload);
                    break;
            }
        }

        return true;
    }

    /// <summary>
    /// Walks the answers to a batch of requests sent together (<see cref="Rtnetlink.AddressRequests"/>): every
    /// NLMSG_ERROR gives its request's sequence number and errno (0 = ACK); anything else is skipped.
    /// </summary>
    public static void ParseAcks(ReadOnlySpan<byte> buffer, Action<uint, int> onAck)
    {
        int offset = 0;
        while (Next(buffer, ref offset, out var header, out var payload))
        {
            if (header.Type == NlmsgError && payload.Length >= 4)
            {
                onAck(header.Sequence, -MemoryMarshal.Read<int>(payload));
            }
        }
    }

    /// <summary>
    /// Walks the messages of one buffer received on a subscribed socket: every message is a notification, whatever its
    /// sequence number (the kernel copies the sequence of the request that caused the change, made by anyone).
    /// </summary>
    public static void ParseNotifications(ReadOnlySpan<byte> buffer, Action<ushort, ReadOnlySpan<byte>> onMessage)
    {
        int offset = 0;
        while (Next(buffer, ref offset, out var header, out var payload))
        {
            onMessage(header.Type, payload);
        }
    }

    private static bool Next(ReadOnlySpan<byte> buffer, ref int offset, out NlMsgHdr header, out ReadOnlySpan<byte> payload)
    {
        if (buffer.Length - offset < HeaderSize)
        {
            header = default;
            payload = default;
            return false;
        }

        header = MemoryMarshal.Read<NlMsgHdr>(buffer[offset..]);
        if (header.Length < HeaderSize || header.Length > buffer.Length - offset)
        {
            throw new InvalidDataException($"netlink message length {header.Length} at {offset} does not fit the {buffer.Length}-byte buffer");
        }

        payload = buffer.Slice(offset + HeaderSize, (int)header.Length - HeaderSize);
        offset += Align((int)header.Length);
        return true;
    }

    public static InterfaceAddress? ParseAddress(ReadOnlySpan<byte> payload)
    {
        var message = MemoryMarshal.Read<IfAddrMsg>(payload);
        int size = AddressSize(message.Family);
        if (size == 0)
        {
            return null;
        }

        IPAddress? local = null, address = null, broadcast = null;
        string? label = null;
        uint flags = message.Flags;
        foreach (var (type, value) in Attributes(payload[Marshal.SizeOf<IfAddrMsg>()..]))
        {
            switch (type)
            {
                case IfaLocal when value.Length == size:
                    local = new IPAddress(value);
                    break;
                case IfaAddress when value.Length == size:
                    address = new IPAddress(value);
                    break;
                case IfaBroadcast when value.Length == size:
                    broadcast = new IPAddress(value);
                    break;
                case IfaLabel:
                    label = Encoding.ASCII.GetString(value).TrimEnd('\0');
                    break;
                case IfaFlags when value.Length == 4:
                    // ifa_flags has 8 bits; the kernel sends all 32 here.
                    flags = BinaryPrimitives.ReadUInt32LittleEndian(value);
                    break;
            }
        }

        var chosen = local ?? address;
        return chosen is null ? null : new InterfaceAddress((int)message.Index, chosen, message.PrefixLength, broadcast, label, flags);
    }

    public static LinkInfo ParseLink(ReadOnlySpan<byte> payload)
    {
        var message = MemoryMarshal.Read<IfInfoMsg>(payload);
        string name = string.Empty;
        byte[] mac = [];
        foreach (var (type, value) in Attributes(payload[Marshal.SizeOf<IfInfoMsg>()..]))
        {
            if (type == IflaIfname)
            {
                name = Encoding.ASCII.GetString(value).TrimEnd('\0');
            }
            else if (type == IflaAddress)
            {
                mac = value.ToArray();
            }
        }

        return new LinkInfo(message.Index, name, mac, (message.Flags & IffUp) != 0);
    }

    public static RouteInfo? ParseRoute(ReadOnlySpan<byte> payload)
    {
        var message = MemoryMarshal.Read<RtMsg>(payload);
        int size = AddressSize(message.Family);
        if (size == 0 || message.Table != RtTableMain)
        {
            return null;
        }

        var destination = size == 4 ? IPAddress.Any : IPAddress.IPv6Any;
        IPAddress? gateway = null;
        int oif = 0;
        foreach (var (type, value) in Attributes(payload[Marshal.SizeOf<RtMsg>()..]))
        {
            if (type == RtaDst && value.Length == size)
            {
                destination = new IPAddress(value);
            }
            else if (type == RtaGateway && value.Length == size)
            {
                gateway = new IPAddress(value);
            }
            else if (type == RtaOif && value.Length == 4)
            {
                oif = BinaryPrimitives.ReadInt32LittleEndian(value);
            }
        }

        return new RouteInfo(destination, message.DestinationLength, oif, message.Scope, message.Protocol, gateway);
    }

    private static List<(ushort Type, byte[] Value)> Attributes(ReadOnlySpan<byte> span)
    {
        var list = new List<(ushort, byte[])>();
        int size = Marshal.SizeOf<RtAttr>();
        while (span.Length >= size)
        {
            var attribute = MemoryMarshal.Read<RtAttr>(span);
            if (attribute.Length < size || attribute.Length > span.Length)
            {
                break;
            }

            list.Add(((ushort)(attribute.Type & 0x3FFF), span[size..attribute.Length].ToArray()));
            span = span[Math.Min(span.Length, Align(attribute.Length))..];
        }

        return list;
    }

    private static int Align(int length) => (length + 3) & ~3;

    /// <summary>The address length of an AF_INET or AF_INET6 message (0: another family, skipped).</summary>
    private static int AddressSize(byte family) => family switch
    {
        (byte)AddressFamily.InterNetwork => 4,
        Inet6 => 16,
        _ => 0,
    };

    /// <summary>AF_INET6 on Linux (10; .NET's AddressFamily.InterNetworkV6 is 23, the Windows value).</summary>
    public const byte Inet6 = 10;

    private static byte FamilyOf(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? Inet6 : (byte)AddressFamily.InterNetwork;

    private sealed class Writer(ushort type, ushort flags, uint sequence)
    {
        private readonly List<byte> _body = [];

        public void Struct<T>(T value)
            where T : unmanaged
        {
            Span<byte> bytes = stackalloc byte[Marshal.SizeOf<T>()];
            MemoryMarshal.Write(bytes, in value);
            _body.AddRange(bytes.ToArray());
            Pad();
        }

        public void Attribute(ushort attributeType, ReadOnlySpan<byte> value)
        {
            int size = Marshal.SizeOf<RtAttr>();
            Struct(new RtAttr { Length = (ushort)(size + value.Length), Type = attributeType });
            _body.RemoveRange(_body.Count - (Align(size) - size), Align(size) - size);
            _body.AddRange(value.ToArray());
            Pad();
        }

        public byte[] Finish()
        {
            var header = new NlMsgHdr { Length = (uint)(HeaderSize + _body.Count), Type = type, Flags = flags, Sequence = sequence };
            byte[] result = new byte[header.Length];
            MemoryMarshal.Write(result, in header);
            _body.CopyTo(result, HeaderSize);
            return result;
        }

        private void Pad()
        {
            while (_body.Count % 4 != 0)
            {
                _body.Add(0);
            }
        }
    }
}
