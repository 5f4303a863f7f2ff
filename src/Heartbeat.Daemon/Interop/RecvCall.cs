using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>recv(2); the socket has a receive timeout (SO_RCVTIMEO), so a silent kernel cannot hang the caller.</summary>
internal static partial class RecvCall
{
    public const int Eagain = 11;

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

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint NativeRecv(FileDescriptorHandle socket, byte* buffer, nuint length, int flags);
}
