using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>close(2), used only by <see cref="FileDescriptorHandle"/>.</summary>
internal static partial class CloseCall
{
    public static int Descriptor(int fd) => NativeClose(fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);
}
