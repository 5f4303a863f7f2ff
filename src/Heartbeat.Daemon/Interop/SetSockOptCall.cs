using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>setsockopt(2) with a struct or int value.</summary>
internal static partial class SetSockOptCall
{
    public const int SolSocket = 1;
    public const int SoRcvTimeo = 20;

    public static unsafe void Set<TValue>(FileDescriptorHandle socket, int level, int option, in TValue value)
        where TValue : unmanaged
    {
        fixed (TValue* pointer = &value)
        {
            if (NativeSetSockOpt(socket, level, option, pointer, sizeof(TValue)) != 0)
            {
                throw new NativeCallException("setsockopt", Marshal.GetLastPInvokeError());
            }
        }
    }

    /// <summary>SO_RCVTIMEO: struct timeval { long tv_sec; long tv_usec; }.</summary>
    public static void ReceiveTimeout(FileDescriptorHandle socket, TimeSpan timeout) =>
        Set(socket, SolSocket, SoRcvTimeo, new TimeVal { Seconds = (long)timeout.TotalSeconds, Microseconds = timeout.Microseconds + (timeout.Milliseconds * 1000) });

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static unsafe partial int NativeSetSockOpt(FileDescriptorHandle socket, int level, int option, void* value, int length);
}
