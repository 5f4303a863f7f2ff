using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>poll(2): the event loop's one place to sleep, on its receiving sockets and its wake-up eventfd at once.</summary>
internal static partial class PollCall
{
    /// <summary>POLLIN: data to read.</summary>
    public const short Readable = 0x1;


    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for any descriptor to become ready.</summary>
    /// <returns>How many descriptors are ready (0: the timeout passed; also 0 when a signal interrupted the wait).</returns>
    public static unsafe int Wait(Span<PollFd> descriptors, int timeoutMilliseconds)
    {
        fixed (PollFd* entries = descriptors)
        {
            int ready = NativePoll(entries, (nuint)descriptors.Length, timeoutMilliseconds);
            if (ready >= 0)
            {
                return ready;
            }

            int errno = Marshal.GetLastPInvokeError();
            return errno == Errno.Eintr ? 0 : throw new NativeCallException("poll", errno);
        }
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int NativePoll(PollFd* descriptors, nuint count, int timeout);
}
