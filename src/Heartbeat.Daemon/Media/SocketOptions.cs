using System.Net.Sockets;
using System.Text;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Media;

/// <summary>Linux socket options .NET has no name for, set through <see cref="Socket.SetRawSocketOption"/> (no P/Invoke needed).</summary>
internal static class SocketOptions
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;
    private const int SoDontRoute = 5;

    /// <summary>SO_BINDTODEVICE: each medium sends and receives on its own interface only, as 3.0.6's media do.</summary>
    public static void BindToDevice(Socket socket, string iface)
    {
        byte[] name = Encoding.ASCII.GetBytes(iface + "\0");
        socket.SetRawSocketOption(SolSocket, SoBindToDevice, name);
    }

    private const int SoAttachFilter = 26;

    // Classic BPF (linux/filter.h, linux/bpf_common.h).
    private const ushort BpfLoadWordAbsolute = 0x00 | 0x00 | 0x20; // BPF_LD | BPF_W | BPF_ABS
    private const ushort BpfJumpIfEqualConstant = 0x05 | 0x10 | 0x00; // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort BpfReturnConstant = 0x06 | 0x00; // BPF_RET | BPF_K
    private const uint AncillaryPacketType = unchecked((uint)-0x1000) + 4; // SKF_AD_OFF + SKF_AD_PKTTYPE
    private const uint PacketLoopback = 5; // PACKET_LOOPBACK (linux/if_packet.h)

    /// <summary>
    /// SO_ATTACH_FILTER with a four-instruction program that drops the copies of our own broadcasts and multicasts the
    /// kernel loops back to local sockets (pkt_type PACKET_LOOPBACK), keeping everything from the wire. Why: every
    /// keepalive sent on a bcast medium came back to this socket, and reading, authenticating and ignoring it cost a
    /// second pass through the loop per send (a poll, a read, an HMAC). What the copy proved (that the interface sends)
    /// the send's own result already tells the engine. Copies from other local sockets are dropped too; a
    /// node's peers are never on its own host.
    /// </summary>
    public static unsafe void DropLoopedBackCopies(Socket socket)
    {
        ReadOnlySpan<SockFilter> program =
        [
            new SockFilter(BpfLoadWordAbsolute, 0, 0, AncillaryPacketType),
            new SockFilter(BpfJumpIfEqualConstant, 0, 1, PacketLoopback),
            new SockFilter(BpfReturnConstant, 0, 0, 0), // drop
            new SockFilter(BpfReturnConstant, 0, 0, uint.MaxValue), // keep, whole
        ];
        fixed (SockFilter* instructions = program)
        {
            var fprog = new SockFprog { Length = (ushort)program.Length, Filter = instructions };
            socket.SetRawSocketOption(SolSocket, SoAttachFilter, new ReadOnlySpan<byte>(&fprog, sizeof(SockFprog)));
        }
    }

    /// <summary>SO_DONTROUTE, which 3.0.6 sets on broadcast sockets: the packet stays on the local link.</summary>
    public static void DontRoute(Socket socket) => socket.SetRawSocketOption(SolSocket, SoDontRoute, BitConverter.GetBytes(1));
}
