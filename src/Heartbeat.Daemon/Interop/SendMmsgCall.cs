using System.Runtime.InteropServices;

namespace Heartbeat.Daemon.Interop;

/// <summary>
/// sendmmsg(2): many datagrams in one system call. The first ARP round of 256 VIPs is 512 frames; one sendto each costs
/// a system call's entry and exit per frame (on a virtual machine with the speculative-execution mitigations, several
/// microseconds: most of the 2.5 ms between the first VIP's frame and the last's), one sendmmsg costs it once.
/// </summary>
internal static partial class SendMmsgCall
{
    /// <summary>The kernel's cap on one call's messages (UIO_MAXIOV); more are sent by the next call.</summary>
    public const int MaxMessages = 1024;

    /// <summary>
    /// Sends <paramref name="datagrams"/>[i] to <paramref name="destinations"/>[i], in order, as far as one call goes:
    /// returns how many were sent (at least one; fewer than given when the kernel stopped early, the caller sends the
    /// rest again), or throws <see cref="NativeCallException"/> with the errno of the first one when it failed.
    /// </summary>
    public static unsafe int SendMany<TAddress>(FileDescriptorHandle socket, ReadOnlySpan<byte[]> datagrams, ReadOnlySpan<TAddress> destinations)
        where TAddress : unmanaged
    {
        if (datagrams.Length != destinations.Length)
        {
            throw new ArgumentException($"{datagrams.Length} datagrams for {destinations.Length} destinations", nameof(destinations));
        }

        int count = Math.Min(datagrams.Length, MaxMessages);
        if (count == 0)
        {
            return 0;
        }

        // One native block for the headers, the buffers' descriptions, the addresses and the bytes: nothing to pin, one
        // allocation per call (a takeover's round, never the loop at rest).
        nuint bytes = 0;
        for (int i = 0; i < count; i++)
        {
            bytes += (nuint)datagrams[i].Length;
        }

        nuint size = (nuint)count * (nuint)(sizeof(MMsgHdr) + sizeof(IoVec) + sizeof(TAddress)) + bytes;
        byte* block = (byte*)NativeMemory.AllocZeroed(size);
        try
        {
            var messages = (MMsgHdr*)block;
            var buffers = (IoVec*)(messages + count);
            var addresses = (TAddress*)(buffers + count);
            byte* data = (byte*)(addresses + count);
            for (int i = 0; i < count; i++)
            {
                datagrams[i].CopyTo(new Span<byte>(data, datagrams[i].Length));
                buffers[i] = new IoVec { Base = data, Length = (nuint)datagrams[i].Length };
                addresses[i] = destinations[i];
                messages[i].Header = new MsgHdr { Name = addresses + i, NameLength = (uint)sizeof(TAddress), Iov = buffers + i, IovLength = 1 };
                data += datagrams[i].Length;
            }

            while (true)
            {
                int sent = NativeSendMmsg(socket, messages, (uint)count, 0);
                if (sent > 0)
                {
                    return sent;
                }

                int errno = sent < 0 ? Marshal.GetLastPInvokeError() : Errno.Eagain;
                if (errno != Errno.Eintr)
                {
                    throw new NativeCallException("sendmmsg", errno);
                }
            }
        }
        finally
        {
            NativeMemory.Free(block);
        }
    }

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static unsafe partial int NativeSendMmsg(FileDescriptorHandle socket, MMsgHdr* messages, uint length, int flags);
}
