using Microsoft.Win32.SafeHandles;

namespace Heartbeat.Daemon.Interop;

/// <summary>A socket file descriptor from <see cref="SocketCall"/>, closed exactly once.</summary>
internal sealed class FileDescriptorHandle : SafeHandleMinusOneIsInvalid
{
    public FileDescriptorHandle()
        : base(ownsHandle: true)
    {
    }

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => CloseCall.Descriptor((int)handle) == 0;
}
