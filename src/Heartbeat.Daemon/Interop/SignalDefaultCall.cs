using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>signal(2) with SIG_DFL: gives a signal its default disposition back.</summary>
internal static partial class SignalDefaultCall
{
    /// <summary>SIG_DFL from signal.h.</summary>
    private const nint DefaultHandler = 0;

    /// <summary>SIG_ERR from signal.h: signal() failed.</summary>
    private const nint Error = -1;

    /// <returns>False when the kernel refused (errno from <see cref="Marshal.GetLastPInvokeError"/>).</returns>
    public static bool Reset(int signal) => NativeSignal(signal, DefaultHandler) != Error;

    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static partial nint NativeSignal(int signum, nint handler);
}
