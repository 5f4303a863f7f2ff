using Heartbeat.Daemon.Watchdog;

namespace Heartbeat.Daemon.Node;

/// <summary>ha.cf's <c>watchdog</c> device (loop thread only): opened at start, fed every keepalive, disarmed on an orderly stop.</summary>
public sealed partial class NodeLoop
{
    private HardwareWatchdog? _hardwareWatchdog;
    private TimeSpan _nextFeed;

    private void OpenHardwareWatchdog()
    {
        if (_config.HaCf.Watchdog is { } path)
        {
            _hardwareWatchdog = HardwareWatchdog.Open(path, _config.HaCf.Deadtime, _logger);
        }
    }

    /// <summary>
    /// When the loop must wake to feed it (<see cref="TimeSpan.MaxValue"/> without a device): the keepalive's own
    /// deadline is set a moment before the feed's, so waking for the keepalive alone found the feed not yet due and
    /// fed only every second keepalive.
    /// </summary>
    private TimeSpan NextFeed => _hardwareWatchdog is null ? TimeSpan.MaxValue : _nextFeed;

    /// <summary>
    /// From the loop and nowhere else, at most once a keepalive (3.0.6 writes when its own heartbeat comes back, once
    /// a keepalive): a loop that stops turning stops feeding it.
    /// </summary>
    private void FeedHardwareWatchdog(TimeSpan now)
    {
        if (_hardwareWatchdog is { } watchdog && now >= _nextFeed)
        {
            _nextFeed = now + _config.HaCf.Keepalive;
            watchdog.Feed();
        }
    }

    /// <summary>An orderly stop disarms it with 'V'; anything else leaves it counting, so the machine reboots.</summary>
    private void CloseHardwareWatchdog(bool orderly)
    {
        _hardwareWatchdog?.Close(orderly);
        _hardwareWatchdog = null;
    }
}
