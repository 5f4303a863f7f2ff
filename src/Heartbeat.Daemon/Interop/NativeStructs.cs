using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

// Kernel ABI structs, laid out as in the C headers (checked by StructLayoutTests, which compiles a C program).

/// <summary>struct timeval (64-bit).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeVal
{
    public long Seconds;
    public long Microseconds;
}

/// <summary>struct pollfd (poll.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short ReturnedEvents;
}

/// <summary>struct sched_param (sched.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SchedParam
{
    public int Priority;
}

/// <summary>struct sockaddr_nl (linux/netlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockAddrNl
{
    public ushort Family;
    public ushort Pad;
    public uint Pid;
    public uint Groups;
}

/// <summary>struct sockaddr_in (netinet/in.h); Port and Address in network byte order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrIn
{
    public ushort Family;
    public ushort Port;
    public uint Address;
    public fixed byte Zero[8];

    public static SockAddrIn From(System.Net.IPEndPoint endpoint)
    {
        Span<byte> address = stackalloc byte[4];
        if (endpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !endpoint.Address.TryWriteBytes(address, out _))
        {
            throw new ArgumentException($"not an IPv4 endpoint: {endpoint}", nameof(endpoint));
        }

        return new SockAddrIn
        {
            Family = (ushort)System.Net.Sockets.AddressFamily.InterNetwork,
            Port = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)endpoint.Port),
            // The bytes as they stand in the address, which is network order already.
            Address = System.Runtime.InteropServices.MemoryMarshal.Read<uint>(address),
        };
    }
}

/// <summary>struct sockaddr_ll (linux/if_packet.h); Protocol is in network byte order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrLl
{
    public ushort Family;
    public ushort Protocol;
    public int IfIndex;
    public ushort HaType;
    public byte PktType;
    public byte HaLen;
    public fixed byte Addr[8];
}

/// <summary>struct nlmsghdr (linux/netlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgHdr
{
    public uint Length;
    public ushort Type;
    public ushort Flags;
    public uint Sequence;
    public uint Pid;
}

/// <summary>struct ifaddrmsg (linux/if_addr.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfAddrMsg
{
    public byte Family;
    public byte PrefixLength;
    public byte Flags;
    public byte Scope;
    public uint Index;
}

/// <summary>struct ifinfomsg (linux/rtnetlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfInfoMsg
{
    public byte Family;
    public byte Pad;
    public ushort Type;
    public int Index;
    public uint Flags;
    public uint Change;
}

/// <summary>struct rtmsg (linux/rtnetlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtMsg
{
    public byte Family;
    public byte DestinationLength;
    public byte SourceLength;
    public byte Tos;
    public byte Table;
    public byte Protocol;
    public byte Scope;
    public byte Type;
    public uint Flags;
}

/// <summary>struct rtattr (linux/rtnetlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtAttr
{
    public ushort Length;
    public ushort Type;
}

/// <summary>struct nlmsgerr's leading error code (linux/netlink.h); the echoed request header follows.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgErr
{
    public int Error;
    public NlMsgHdr Request;
}

/// <summary>struct arphdr + the Ethernet/IPv4 body of struct ether_arp (netinet/if_ether.h): 28 bytes, big-endian fields.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct EtherArp
{
    public ushort HardwareType;
    public ushort ProtocolType;
    public byte HardwareLength;
    public byte ProtocolLength;
    public ushort Operation;
    public fixed byte SenderHardware[6];
    public fixed byte SenderProtocol[4];
    public fixed byte TargetHardware[6];
    public fixed byte TargetProtocol[4];
}

/// <summary>struct sock_filter (linux/filter.h): one classic BPF instruction.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockFilter(ushort code, byte jumpIfTrue, byte jumpIfFalse, uint operand)
{
    public ushort Code = code;
    public byte JumpIfTrue = jumpIfTrue;
    public byte JumpIfFalse = jumpIfFalse;
    public uint Operand = operand;
}

/// <summary>struct sock_fprog (linux/filter.h): a classic BPF program for SO_ATTACH_FILTER.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockFprog
{
    public ushort Length;
    public SockFilter* Filter;
}

/// <summary>struct iovec (sys/uio.h): one buffer of a message.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

/// <summary>struct msghdr (sys/socket.h, 64-bit).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct mmsghdr (sys/socket.h): a message of sendmmsg and what the kernel sent of it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}
