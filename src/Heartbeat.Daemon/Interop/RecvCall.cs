using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>recv(2).</summary>
internal static partial class RecvCall
{
    public const int Eagain = Errno.Eagain;

    /// <summary>On a socket with a receive timeout (SO_RCVTIMEO), so a silent kernel cannot hang the caller.</summary>
    /// <returns>The byte count, or -1 when the timeout passed.</returns>
    public static unsafe int Receive(FileDescriptorHandle socket, Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            nint received = NativeRecv(socket, bytes, (nuint)buffer.Length, 0);
            if (received < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == Eagain ? -1 : throw new NativeCallException("recv", errno);
            }

            return (int)received;
        }
    }

    /// <summary>
    /// One datagram from a medium's non-blocking UDP socket, straight from the system call (the heartbeat path: see
    /// <see cref="SendToCall.TrySendTo"/>).
    /// </summary>
    /// <returns>0 with the byte count, or the errno (<see cref="Eagain"/>: nothing queued).</returns>
    public static unsafe int TryReceive(SafeSocketHandle socket, Span<byte> buffer, out int received)
    {
        fixed (byte* bytes = buffer)
        {
            nint count = NativeRecvSocket(socket, bytes, (nuint)buffer.Length, 0);
            received = (int)Math.Max(count, 0);
            return count < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint NativeRecv(FileDescriptorHandle socket, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint NativeRecvSocket(SafeSocketHandle socket, byte* buffer, nuint length, int flags);
}
