using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>read(2) on a descriptor of ours (the loop's eventfd).</summary>
internal static partial class ReadCall
{
    /// <returns>The byte count, or -1 with the errno available from <see cref="Marshal.GetLastPInvokeError"/>.</returns>
    public static unsafe nint Read(FileDescriptorHandle descriptor, Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            return NativeRead(descriptor, bytes, (nuint)buffer.Length);
        }
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint NativeRead(FileDescriptorHandle descriptor, byte* buffer, nuint count);
}
