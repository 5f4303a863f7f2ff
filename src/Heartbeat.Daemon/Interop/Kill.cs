using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>kill(2): how <c>heartbeat -k</c> and <c>-r</c> signal the running daemon.</summary>
internal static partial class Kill
{
    /// <summary>Linux signal numbers (.NET's <see cref="PosixSignal"/> values are its own, not the kernel's).</summary>
    public const int SigHup = 1;
    public const int SigTerm = 15;

    /// <returns>0, or -1 with the errno available from <see cref="Marshal.GetLastPInvokeError"/>.</returns>
    public static int Send(int pid, int signal) => NativeKill(pid, signal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int sig);
}
