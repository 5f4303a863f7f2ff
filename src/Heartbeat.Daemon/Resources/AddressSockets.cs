using Heartbeat.Daemon.Net;

namespace Heartbeat.Daemon.Resources;

/// <summary>
/// The netlink and packet sockets the VIPs of one executor share (one of each: not two per VIP, which for 256 VIPs
/// would be 512 sockets and 16 MB of receive buffers), opened on first use, and the lock that serializes their use and
/// every start, stop and status of those VIPs.
/// </summary>
public sealed class AddressSockets : IDisposable
{
    private Rtnetlink? _netlink;
    private Interop.FileDescriptorHandle? _arp;

    public Lock Lock { get; } = new();

    internal Rtnetlink Netlink() => _netlink ??= Rtnetlink.Open();

    internal Interop.FileDescriptorHandle Arp() => _arp ??= GratuitousArp.OpenSocket();

    /// <summary>A socket that failed once is not trusted again: the next action opens a fresh one.</summary>
    internal void DropNetlink()
    {
        _netlink?.Dispose();
        _netlink = null;
    }

    public void Dispose()
    {
        lock (Lock)
        {
            DropNetlink();
            _arp?.Dispose();
            _arp = null;
        }
    }
}
