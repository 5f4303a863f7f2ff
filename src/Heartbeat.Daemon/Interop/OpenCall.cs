using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>open(2) for writing, close-on-exec (the watchdog device: resource scripts must not inherit it, as 3.0.6 sets FD_CLOEXEC).</summary>
internal static partial class OpenCall
{
    /// <summary>O_WRONLY in fcntl.h (checked by StructLayoutTests).</summary>
    public const int WriteOnly = 1;

    /// <summary>O_CLOEXEC in fcntl.h (checked by StructLayoutTests).</summary>
    public const int CloseOnExec = 0x80000;

    /// <returns>The descriptor; invalid with the errno available from <see cref="Marshal.GetLastPInvokeError"/>.</returns>
    public static FileDescriptorHandle OpenForWriting(string path)
    {
        // open(2) returns an int: taken as such and sign-extended, so -1 stays -1 (a pointer-sized return would not).
        int fd = NativeOpen(path, WriteOnly | CloseOnExec);
        var handle = new FileDescriptorHandle();
        Marshal.InitHandle(handle, fd);
        return handle;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags);
}
