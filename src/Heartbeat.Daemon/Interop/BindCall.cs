using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>bind(2) with a raw sockaddr (sockaddr_nl or sockaddr_ll).</summary>
internal static partial class BindCall
{
    public static unsafe void Bind<TAddress>(FileDescriptorHandle socket, in TAddress address)
        where TAddress : unmanaged
    {
        fixed (TAddress* pointer = &address)
        {
            if (NativeBind(socket, pointer, sizeof(TAddress)) != 0)
            {
                throw new NativeCallException("bind", Marshal.GetLastPInvokeError());
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static unsafe partial int NativeBind(FileDescriptorHandle socket, void* address, int length);
}
