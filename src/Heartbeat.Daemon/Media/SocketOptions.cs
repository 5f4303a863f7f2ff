using System.Net.Sockets;
using System.Text;

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

    /// <summary>SO_DONTROUTE, which 3.0.6 sets on broadcast sockets: the packet stays on the local link.</summary>
    public static void DontRoute(Socket socket) => socket.SetRawSocketOption(SolSocket, SoDontRoute, BitConverter.GetBytes(1));
}
