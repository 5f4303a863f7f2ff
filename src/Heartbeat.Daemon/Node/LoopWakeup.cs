using System.Runtime.InteropServices;
using Heartbeat.Daemon.Interop;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// How other threads wake the event loop while it sleeps in poll(2) on its sockets: an eventfd in the same poll set.
/// Signalling an already signalled wake-up is free (the counter just grows), so a producer never blocks and no wake-up
/// is lost between the loop's last look at its queue and its poll.
/// </summary>
internal sealed class LoopWakeup : IDisposable
{

    private readonly FileDescriptorHandle _eventFd = EventFdCall.Open();

    /// <summary>The descriptor to poll for readability.</summary>
    public int Descriptor => _eventFd.Fd;

    /// <summary>Wakes the loop (from any thread); safe after disposal, when there is nobody left to wake.</summary>
    public void Signal()
    {
        if (_eventFd.IsClosed)
        {
            return;
        }

        Span<byte> one = stackalloc byte[sizeof(ulong)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(one, 1);
        try
        {
            // EAGAIN only when the counter is about to overflow: the loop is signalled already.
            _ = WriteCall.Write(_eventFd, one);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Resets the counter after poll reported it (the loop thread only).</summary>
    public void Clear()
    {
        Span<byte> counter = stackalloc byte[sizeof(ulong)];
        if (ReadCall.Read(_eventFd, counter) < 0 && Marshal.GetLastPInvokeError() is not Errno.Eagain and var errno)
        {
            throw new NativeCallException("read(eventfd)", errno);
        }
    }

    public void Dispose() => _eventFd.Dispose();
}
