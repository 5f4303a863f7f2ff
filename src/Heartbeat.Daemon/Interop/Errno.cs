namespace Heartbeat.Daemon.Interop;

/// <summary>The errno values the daemon acts on (asm-generic/errno-base.h and errno.h; the same on every Linux arch .NET runs on).</summary>
internal static class Errno
{
    public const int Enoent = 2;
    public const int Eintr = 4;
    public const int Ebadf = 9;
    public const int Eagain = 11;
    public const int Eexist = 17;
    public const int Enodev = 19;
    public const int Eaddrnotavail = 99;
    public const int Enobufs = 105;
}
