using System.Runtime.InteropServices;
using Heartbeat.Daemon.Interop;
using Microsoft.Extensions.Logging;

namespace Heartbeat.Daemon.Watchdog;

/// <summary>
/// ha.cf's <c>watchdog</c> device, driven as 3.0.6 drives it (heartbeat.c hb_init_watchdog, hb_tickle_watchdog,
/// hb_close_watchdog): opened write-only and close-on-exec, its timeout set to the deadtime plus 10 ms in whole seconds
/// rounded up, a byte written at every keepalive from the event loop, and the magic 'V' written before a graceful close
/// so the kernel disarms it. A loop that stops turning stops the writes and the machine reboots. A failed write closes
/// the device (3.0.6's "Watchdog write failure: closing"). Loop thread only.
/// </summary>
internal sealed class HardwareWatchdog : IDisposable
{
    private static readonly byte[] Tickle = [0];
    private static readonly byte[] MagicClose = [(byte)'V'];

    private readonly string _path;
    private readonly ILogger _logger;
    private FileDescriptorHandle? _device;

    private HardwareWatchdog(string path, FileDescriptorHandle device, ILogger logger)
    {
        _path = path;
        _device = device;
        _logger = logger;
    }

    /// <summary>Whether the device is open (writes go to it).</summary>
    public bool IsOpen => _device is not null;

    /// <summary>The timeout 3.0.6 sets: (deadtime in ms + 10 + 999) / 1000 seconds.</summary>
    public static int TimeoutSeconds(TimeSpan deadtime) => (int)((deadtime.TotalMilliseconds + 10 + 999) / 1000);

    /// <summary>Opens the device, sets its timeout and writes once; null (logged) when it cannot be opened.</summary>
    public static HardwareWatchdog? Open(string path, TimeSpan deadtime, ILogger logger)
    {
        var device = OpenCall.OpenForWriting(path);
        if (device.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            device.Dispose();
            WatchdogLog.CannotOpen(logger, path, Marshal.GetPInvokeErrorMessage(errno));
            return null;
        }

        WatchdogLog.Using(logger, path);
        int seconds = TimeoutSeconds(deadtime);
        int requested = seconds;
        if (WatchdogTimeoutCall.Set(device, ref seconds) != 0)
        {
            // 3.0.6 logs and carries on: a device without the ioctl keeps its own timeout.
            WatchdogLog.CannotSetTimeout(logger, path, requested, Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        }
        else
        {
            WatchdogLog.TimeoutSet(logger, path, seconds);
        }

        var watchdog = new HardwareWatchdog(path, device, logger);
        watchdog.Feed();
        return watchdog;
    }

    /// <summary>One write: the kernel restarts its countdown. Allocates nothing.</summary>
    public void Feed()
    {
        if (_device is { } device && WriteCall.Write(device, Tickle) != 1)
        {
            WatchdogLog.WriteFailed(_logger, _path, Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            Close(graceful: true);
        }
    }

    /// <summary>
    /// Closes the device; <paramref name="graceful"/> writes the magic 'V' first, so the kernel stops the countdown
    /// (3.0.6 on every orderly exit). Without it a watchdog keeps counting and reboots the machine.
    /// </summary>
    public void Close(bool graceful)
    {
        if (_device is not { } device)
        {
            return;
        }

        _device = null;
        if (graceful)
        {
            if (WriteCall.Write(device, MagicClose) != 1)
            {
                WatchdogLog.WriteFailed(_logger, _path, Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }
            else
            {
                WatchdogLog.Disarmed(_logger, _path);
            }
        }

        device.Dispose();
    }

    public void Dispose() => Close(graceful: true);
}
