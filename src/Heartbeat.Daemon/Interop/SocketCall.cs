using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>socket(2) for the families .NET's Socket does not open: AF_NETLINK and AF_PACKET.</summary>
internal static partial class SocketCall
{
    public const int AfNetlink = 16;
    public const int AfPacket = 17;
    public const int SockRaw = 3;
    public const int SockDgram = 2;
    public const int SockCloexec = 0x80000;
    public const int NetlinkRoute = 0;

    /// <summary>A new socket; throws with errno text when the kernel refuses.</summary>
    public static FileDescriptorHandle Open(int domain, int type, int protocol)
    {
        var handle = NativeSocket(domain, type | SockCloexec, protocol);
        if (handle.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new NativeCallException("socket", errno);
        }

        return handle;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial FileDescriptorHandle NativeSocket(int domain, int type, int protocol);
}

/// <summary>A failed system call with its errno, as text an admin can act on.</summary>
internal sealed class NativeCallException(string call, int errno)
    : Exception($"{call}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
{
    public int Errno { get; } = errno;
}
