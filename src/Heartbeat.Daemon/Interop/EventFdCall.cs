using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>eventfd(2): a counter other threads bump to wake a thread sleeping in poll(2).</summary>
internal static partial class EventFdCall
{
    /// <summary>EFD_NONBLOCK (= O_NONBLOCK): reading an empty counter returns EAGAIN instead of blocking.</summary>
    private const int NonBlocking = 0x800;

    /// <summary>EFD_CLOEXEC (= O_CLOEXEC): resource scripts do not inherit it.</summary>
    private const int CloseOnExec = 0x80000;

    /// <summary>A new non-blocking eventfd at 0; throws with errno text when the kernel refuses.</summary>
    public static FileDescriptorHandle Open()
    {
        var handle = NativeEventFd(0, NonBlocking | CloseOnExec);
        if (handle.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new NativeCallException("eventfd", errno);
        }

        return handle;
    }

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial FileDescriptorHandle NativeEventFd(uint initial, int flags);
}
