using System.Net.Sockets;
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

    /// <summary>
    /// A heartbeat's send on a medium's UDP socket: straight to the system call, not through
    /// <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, System.Net.SocketAddress)"/>, whose layers cost about a
    /// third of an idle daemon's CPU per wake-up on a virtual machine (code run once a second runs from cold caches).
    /// </summary>
    /// <returns>0, or the errno (a failure is counted and reported by the caller, not thrown).</returns>
    public static unsafe int TrySendTo(SafeSocketHandle socket, ReadOnlySpan<byte> data, in SockAddrIn address)
    {
        fixed (byte* bytes = data)
        fixed (SockAddrIn* pointer = &address)
        {
            return NativeSendToSocket(socket, bytes, (nuint)data.Length, 0, pointer, sizeof(SockAddrIn)) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial nint NativeSendTo(FileDescriptorHandle socket, byte* data, nuint length, int flags, void* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial nint NativeSendToSocket(SafeSocketHandle socket, byte* data, nuint length, int flags, void* address, int addressLength);
}
