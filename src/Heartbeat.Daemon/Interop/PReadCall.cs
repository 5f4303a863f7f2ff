using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Heartbeat.Daemon.Interop;

/// <summary>pread(2): the once-a-second reread of /proc/loadavg, without RandomAccess's checks and layers.</summary>
internal static partial class PReadCall
{
    /// <returns>The byte count, or -1 with the errno.</returns>
    public static unsafe int Read(SafeFileHandle file, Span<byte> buffer, long offset, out int errno)
    {
        fixed (byte* bytes = buffer)
        {
            nint read = NativePRead(file, bytes, (nuint)buffer.Length, offset);
            errno = read < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)read;
        }
    }

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint NativePRead(SafeFileHandle file, byte* buffer, nuint length, long offset);
}
