using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// A socket created inside a named network namespace: setns(2) on a dedicated thread, socket(2) there; the socket
/// keeps its namespace whichever thread uses it later. Lets a test play a forger or a spy inside its own lab.
/// </summary>
internal static partial class NetnsSocket
{
    private const int CloneNewNet = 0x40000000;

    public static Socket CreateUdp(string netns) => Create(netns, SocketType.Dgram, ProtocolType.Udp);

    public static Socket CreateTcp(string netns) => Create(netns, SocketType.Stream, ProtocolType.Tcp);

    private static Socket Create(string netns, SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{netns}");
                if (SetNs(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({netns}) failed: {Marshal.GetLastPInvokeErrorMessage()}");
                }

                socket = new Socket(AddressFamily.InterNetwork, type, protocol);
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException("cannot create a socket in " + netns, error);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
