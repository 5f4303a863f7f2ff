using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>write(2) on a descriptor of ours (the loop's eventfd).</summary>
internal static partial class WriteCall
{
    /// <returns>The byte count, or -1 with the errno available from <see cref="Marshal.GetLastPInvokeError"/>.</returns>
    public static unsafe nint Write(FileDescriptorHandle descriptor, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            return NativeWrite(descriptor, bytes, (nuint)buffer.Length);
        }
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint NativeWrite(FileDescriptorHandle descriptor, byte* buffer, nuint count);
}
