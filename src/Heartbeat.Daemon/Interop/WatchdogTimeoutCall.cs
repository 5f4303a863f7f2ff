using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>ioctl(fd, WDIOC_SETTIMEOUT, &amp;seconds): the hardware watchdog's timeout (linux/watchdog.h).</summary>
internal static partial class WatchdogTimeoutCall
{
    /// <summary>_IOWR('W', 6, int) in linux/watchdog.h (checked by StructLayoutTests).</summary>
    public const uint SetTimeout = 0xC0045706;

    /// <summary>Sets the timeout; the driver may round it: <paramref name="seconds"/> then holds what it chose.</summary>
    /// <returns>0, or -1 with the errno available from <see cref="Marshal.GetLastPInvokeError"/>.</returns>
    public static int Set(FileDescriptorHandle descriptor, ref int seconds) => NativeIoctl(descriptor, SetTimeout, ref seconds);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int NativeIoctl(FileDescriptorHandle descriptor, nuint request, ref int value);
}
