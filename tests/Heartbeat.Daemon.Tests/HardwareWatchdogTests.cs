using Heartbeat.Daemon.Watchdog;
using Microsoft.Extensions.Logging.Abstractions;

namespace Heartbeat.Daemon.Tests;

/// <summary>
/// The watchdog device against a stand-in (a plain file that records the writes; a real softdog would reboot this
/// machine if a test stopped feeding it): 3.0.6's timeout rule, a byte per feed, the magic 'V' on an orderly close.
/// </summary>
public sealed class HardwareWatchdogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hbnet-watchdog-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(1000, 2)] // (1000 + 10 + 999) / 1000: 3.0.6 adds 10 ms and rounds up
    [InlineData(990, 1)]
    [InlineData(30_000, 31)]
    public void The_timeout_is_the_deadtime_plus_10_ms_in_whole_seconds_rounded_up(int deadtimeMs, int seconds) =>
        Assert.Equal(seconds, HardwareWatchdog.TimeoutSeconds(TimeSpan.FromMilliseconds(deadtimeMs)));

    [Fact]
    public void Each_feed_writes_one_byte_and_an_orderly_close_writes_V()
    {
        string device = Path.Join(_directory, "watchdog");
        File.WriteAllBytes(device, []);
        var watchdog = HardwareWatchdog.Open(device, TimeSpan.FromSeconds(1), NullLogger.Instance);
        Assert.NotNull(watchdog); // a file has no WDIOC_SETTIMEOUT: logged, and the device is used anyway, as 3.0.6
        watchdog.Feed();
        watchdog.Feed();
        watchdog.Close(graceful: true);
        Assert.False(watchdog.IsOpen);
        Assert.Equal(new byte[] { 0, 0, 0, (byte)'V' }, File.ReadAllBytes(device));
    }

    [Fact]
    public void A_crash_leaves_it_armed_and_a_missing_device_is_not_opened()
    {
        string device = Path.Join(_directory, "watchdog");
        File.WriteAllBytes(device, []);
        var watchdog = HardwareWatchdog.Open(device, TimeSpan.FromSeconds(1), NullLogger.Instance)!;
        watchdog.Close(graceful: false);
        Assert.Equal(new byte[] { 0 }, File.ReadAllBytes(device));
        Assert.Null(HardwareWatchdog.Open(Path.Join(_directory, "none"), TimeSpan.FromSeconds(1), NullLogger.Instance));
    }
}
