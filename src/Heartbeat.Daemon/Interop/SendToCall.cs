using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>sendto(2) with a raw sockaddr.</summary>
internal static partial class SendToCall
{
    public static unsafe void SendTo<TAddress>(FileDescriptorHandle socket, ReadOnlySpan<byte> data, in TAddress address)
        where TAddress : unmanaged
    {
        fixed (byte* bytes = data)
        fixed (TAddress* pointer = &address)
        {
            nint sent = NativeSendTo(socket, bytes, (nuint)data.Length, 0, pointer, sizeof(TAddress));
            if (sent < 0)
            {
                throw new NativeCallException("sendto", Marshal.GetLastPInvokeError());
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial nint NativeSendTo(FileDescriptorHandle socket, byte* data, nuint length, int flags, void* address, int addressLength);
}
