using System.Security.Cryptography;
using Heartbeat.Protocol.Agents;

namespace Heartbeat.Protocol.Tests.Agents;

/// <summary>The table against the wrappers Debian's heartbeat 3.0.6 package installs.</summary>
public class WrapperTableTests
{
    private const string InstalledWrappers = "/etc/ha.d/resource.d";

    [Fact]
    public void Every_wrapper_of_the_installed_heartbeat_package_has_an_entry()
    {
        // Only where Debian's heartbeat package is installed (the side-by-side machines): elsewhere there is nothing
        // to compare with, and the entries below still pin the table.
        if (!File.Exists(Path.Join(InstalledWrappers, "hto-mapfuncs")))
        {
            return;
        }

        // drbd-utils installs its own scripts there too (drbddisk, drbdupper): real scripts, run unchanged from resource.d.
        string[] otherPackages = ["drbddisk", "drbdupper"];
        var missing = Directory.EnumerateFiles(InstalledWrappers)
            .Select(Path.GetFileName)
            .Where(name => !ResourceWrappers.Helpers.Contains(name!) && !otherPackages.Contains(name) && ResourceWrappers.Find(name!) is null)
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.True(missing.Length == 0, $"resource.d wrappers without an entry in ResourceWrappers: {string.Join(", ", missing)}");
    }

    [Fact]
    public void The_stock_hashes_are_those_of_the_installed_wrappers()
    {
        if (!File.Exists(Path.Join(InstalledWrappers, "hto-mapfuncs")))
        {
            return;
        }

        foreach (var wrapper in ResourceWrappers.All)
        {
            string path = Path.Join(InstalledWrappers, wrapper.Name);
            Assert.True(File.Exists(path), $"{path} is in the table but not in the package");
            Assert.True(ResourceWrappers.IsStockCopy(wrapper.Name, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))), $"{path} differs from the stock hash");
        }
    }

    [Fact]
    public void The_table_covers_the_3_0_6_package()
    {
        string[] shipped =
        [
            "AudibleAlarm", "Delay", "Filesystem", "ICP", "IPaddr", "IPaddr2", "IPsrcaddr", "IPv6addr", "LVM", "LinuxSCSI",
            "MailTo", "OCF", "Raid1", "SendArp", "ServeRAID", "WAS", "WinPopup", "Xinetd", "apache", "db2", "ids", "portblock",
        ];
        Assert.Equal(shipped.Order(StringComparer.Ordinal), ResourceWrappers.All.Select(w => w.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Filesystem", 1, false)]
    [InlineData("Filesystem", 2, true)]
    [InlineData("Filesystem", 4, true)]
    [InlineData("Filesystem", 5, false)]
    [InlineData("Delay", 0, true)]
    [InlineData("Delay", 3, false)]
    [InlineData("MailTo", 0, false)]
    [InlineData("MailTo", 2, true)]
    [InlineData("ids", 0, true)]
    [InlineData("ids", 1, false)]
    [InlineData("ids", 3, true)]
    [InlineData("portblock", 3, true)]
    [InlineData("AudibleAlarm", 7, true)]
    [InlineData("OCF", 1, false)]
    public void Argument_counts_are_the_wrappers(string name, int count, bool accepted) =>
        Assert.Equal(accepted, ResourceWrappers.Find(name)!.Accepts(count));
}
