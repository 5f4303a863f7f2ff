using System.Globalization;
using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>
/// A group of 256 VIPs through <c>heartbeat resource takegroup/givegroup</c>: started as one batch (issue 28's target:
/// the last VIP's first gratuitous ARP within 20 ms of the first VIP's), each later round of all VIPs in one timer
/// tick, and every address removed again.
/// </summary>
public class LargeGroupTests(ITestOutputHelper output)
{
    private const int Size = 256;

    [Fact]
    public async Task A_group_of_256_vips_is_announced_in_one_burst_per_round_and_removed_again()
    {
        string[] vips = [.. Enumerable.Range(0, Size).Select(i => string.Create(CultureInfo.InvariantCulture, $"10.11.{i / 250}.{i % 250 + 1}"))];
        string key = $"IPaddr2::{vips[0]}/24/ens18";
        await using var lab = new Lab("large group") { Haresources = "server1 " + string.Join(' ', vips.Select(v => $"IPaddr2::{v}/24/ens18")) + "\n" };
        var node = lab.Declare(false)[0];
        string client = lab.AddOutsider();

        List<(double Time, string Kind, string Mac, string Ip)> frames;
        using (var capture = ArpCapture.Start(client))
        {
            var (code, text) = lab.RunOurs(node, "resource", "takegroup", key, "--arp-count", "2", "--arp-interval", "300");
            Assert.True(code == 0, text);
            frames = capture.Stop(expectedAtLeast: Size * 4);
        }

        // Every VIP: a request and a reply in each of the two rounds.
        Assert.Equal(vips.Order(StringComparer.Ordinal), frames.Select(f => f.Ip).Distinct().Order(StringComparer.Ordinal));
        Assert.All(frames.GroupBy(f => f.Ip), g => Assert.Equal(4, g.Count()));

        // Round one: every VIP's request before any reply, all within one burst; round two likewise, one tick later.
        var firstRequests = frames.Take(Size).ToList();
        Assert.All(firstRequests, f => Assert.Equal("Request", f.Kind));
        var firstOf = frames.GroupBy(f => f.Ip).ToDictionary(g => g.Key, g => g.Min(f => f.Time));
        double spread = (firstOf.Values.Max() - firstOf[vips[0]]) * 1000;
        var second = frames.Skip(Size * 2).ToList();
        double secondSpread = (second.Max(f => f.Time) - second.Min(f => f.Time)) * 1000;
        double gap = (second.Min(f => f.Time) - frames[0].Time) * 1000;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Size} VIPs: last VIP's first ARP {spread:F2} ms after the first VIP's; second round spread {secondSpread:F2} ms, {gap:F0} ms after the first"));

        // The target is 20 ms (measured: 2–3 ms here; one VIP after another, with a dump each, took 320 ms);
        // the bound leaves room for a loaded CI machine.
        Assert.InRange(spread, 0, 60);
        Assert.InRange(secondSpread, 0, 60);
        Assert.InRange(gap, 250, 1000);

        var (stopCode, stopText) = lab.RunOurs(node, "resource", "givegroup", key);
        Assert.True(stopCode == 0, stopText);
        string left = Lab.InNetns(lab.Netns(node), "ip", "-4", "-o", "addr", "show", "dev", "ens18");
        Assert.DoesNotContain("10.11.", left, StringComparison.Ordinal);
    }
}
