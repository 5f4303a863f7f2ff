using System.Collections.Immutable;

namespace Heartbeat.Protocol.Agents;

/// <summary>
/// Every wrapper of Debian's heartbeat 3.0.6 package (<c>/etc/ha.d/resource.d</c>), read from the wrappers themselves:
/// which arguments each accepts, the OCF parameters they set, the defaults, the instance name and the agent.
/// hto-mapfuncs is their shared helper, not a resource, and so has no entry.
/// </summary>
public static class ResourceWrappers
{
    /// <summary>The files of 3.0.6's resource.d that are helpers, not resources.</summary>
    public static ImmutableArray<string> Helpers { get; } = ["hto-mapfuncs"];

    public static ImmutableArray<ResourceWrapper> All { get; } =
    [
        // Every argument is a node; the action is cut off the end of "$*", which leaves a trailing blank in the list.
        new("AudibleAlarm", "AudibleAlarm", ["nodelist"], 0, null, WrapperArguments.NodeList, "[node1 node2 ...]", [], "0c49e783df888f36c11c7f675530cf35b551dbf0b17c7804f1b797594177bb35"),

        // Without arguments the wrapper sets startdelay=10 for the instance name but never exports it: the agent then
        // uses its own default (20 s in resource-agents 4.12), while the instance is still called Delay_10.
        new("Delay", "Delay", ["startdelay", "stopdelay"], 0, 2, WrapperArguments.Positional, "[delay [stopdelay]]", ["startdelay"], "dbc65054134c64f40741e89e38a0da5a79042eec8c215073169a45ea5e1ad2f0")
        {
            InstanceDefaults = ImmutableDictionary<string, string>.Empty.Add("startdelay", "10"),
        },
        new("Filesystem", "Filesystem", ["device", "directory", "fstype", "options"], 2, 4, WrapperArguments.Positional, "<device> <directory> [<fstype> [<options>]]", ["device"], "d274284749b9d3ef47def441b13bf3cf32d96ace986d851c7b594824d0322c90"),
        new("ICP", "ICP", ["driveid", "device"], 2, 2, WrapperArguments.Positional, "<ICP cluster drive ID> <device>", ["driveid"], "23b8d940f2e4c1a58e8c49c4732832660d4fc97e73e90ef92f1eee05a92e9efc"),

        // IPaddr and IPaddr2 are handled natively (IpAddressResource); the entries say what the wrappers would pass.
        new("IPaddr", "IPaddr", ["ip", "cidr_netmask", "nic", "broadcast"], 1, 1, WrapperArguments.IpAddress, "<ip-address>", ["ip"], "c53184acddad1bc7894e0477a1351621c3e46cf1924c8ff410410b51e26f4b5c")
        {
            Fixed = ImmutableDictionary<string, string>.Empty.Add("lvs_support", "0"),
        },

        // IPaddr2's wrapper forces lvs_support=1, which the current agent refuses for an IPv6 address.
        new("IPaddr2", "IPaddr2", ["ip", "cidr_netmask", "nic", "broadcast"], 1, 1, WrapperArguments.IpAddress, "ip-address[/netmaskbits[/interface[:label][/broadcast]]]", ["ip"], "220eb0a8ba5b8b132a04503d367613210a72edcda030dcc726398c8121f5c017")
        {
            Fixed = ImmutableDictionary<string, string>.Empty.Add("lvs_support", "1"),
        },
        new("IPsrcaddr", "IPsrcaddr", ["ipaddress"], 1, 1, WrapperArguments.Positional, "<ip-address>", [], "1dc565f89b0fa5d2724a828a3ef39590c0aef65b63366af072e187c57b9a821f"),

        // The instance is named after the whole argument (prefix and NIC included), unlike IPaddr's.
        new("IPv6addr", "IPv6addr", ["ipv6addr", "cidr_netmask", "nic"], 1, 1, WrapperArguments.Ipv6Address, "<ip-address>", ["*"], "af667834ba1c733e596342f11daa8f584b06c2e5bf2a3ccc2a9d2a06e60ea3d3"),
        new("LVM", "LVM", ["volgrpname"], 1, 1, WrapperArguments.Positional, "<LVM-configuration file>", [], "5c08d5133f8e3a661bb4a99124ac09711ed9f70718d21168beb30c57b38408f6"),
        new("LinuxSCSI", "LinuxSCSI", ["scsi"], 1, 1, WrapperArguments.Positional, "<host>:<channel>:<target>[:<lun>]", ["scsi"], "1c7a8d9b90a54162ebf96b7769300cea4b4eabb2da942d2335c5fd4f0ed0d8ac"),
        new("MailTo", "MailTo", ["email", "subject"], 1, 2, WrapperArguments.Positional, "<email> [<subject>]", [], "e31c73e4fd2017fa0d2e08f3f9d760956070efee5f05a8907e8fa9f1dfb55529"),

        // OCF::type::instance: the agent is the type, the parameters are in conf/OCF/type/instance.
        new("OCF", string.Empty, [], 2, 2, WrapperArguments.InstanceFile, "<OCF-resource-name> <OCF-instance-name>", [], "7b6781aed6131a3f269a7d9755c51437833fa3d246087a6e897ebcc3cd4eb342"),
        new("Raid1", "Raid1", ["raidconf", "raiddev"], 2, 2, WrapperArguments.Positional, "<raidtab_config_file> <md_dev_name>", ["raidconf"], "3cb12b5a7e6a041058b1b369e0973f38e896aae38640d2b985daaff37394351c"),
        new("SendArp", "SendArp", ["ip", "nic"], 1, 1, WrapperArguments.AddressAndInterface, "ip-address/interface", ["ip"], "754799bc1f0c2a16d0cda97995aec1d3eab3aa373275fb16fa590cd60beaec60"),
        new("ServeRAID", "ServeRAID", ["serveraid", "mergegroup"], 2, 2, WrapperArguments.Positional, "<serveraid#> <sharedmergegroup#>", ["serveraid"], "0cf592d47e8800971f72c1a09894e7488b4170e87ad61fca6f54f9c35493fc1e"),
        new("WAS", "WAS", ["config", "port"], 0, 1, WrapperArguments.ConfigFileOrPort, "[<WAS-configuration file> | <WAS-(snoop)-port-number>]", [], "d11e7fab2f78d27e05245695fbba8acc12c5715ab06819bfba7220ebcbb1b7db"),
        new("WinPopup", "WinPopup", ["hostfile"], 0, 1, WrapperArguments.Positional, "[workstationfile]", [], "61fdd22e2006b1d05c0982c17ccd3db2eabb12deff9f107cf0966754c54320b8")
        {
            Defaults = ImmutableDictionary<string, string>.Empty.Add("hostfile", "hosts"),
        },
        new("Xinetd", "Xinetd", ["service"], 1, 1, WrapperArguments.Positional, "<xinetd-service-name>", [], "44966c1998ad2accca741cbc19a9820a7221cf43d7194a67827b1ee2185deb30"),

        // Without a config file the instance is "apache_" (the wrapper appends the empty value).
        new("apache", "apache", ["configfile"], 0, 1, WrapperArguments.Positional, "[config-file-pathname]", ["configfile"], "0f0837739bb5b8c28e124ce7bc1a433e7fb2c2000aafc8e995c966bae07c2fc0"),
        new("db2", "db2", ["instance"], 1, 1, WrapperArguments.Positional, "db2-database-owner-id", ["instance"], "35e49c1a46ed4dc6e5c2d3c8c49440b37d6bf30b2644fe946ed74b7d5ee75ea9"),

        // All three or none (ResourceWrapper.Accepts knows the gap).
        new("ids", "ids", ["informixdir", "informixserver", "onconfig"], 0, 3, WrapperArguments.Positional, "[<INFORMIXDIR> <INFORMIXSERVER> <ONCONFIG>]", ["informixserver"], "75ca13c8c449068dd45f95f24c59de47324c6337539e85928878f149344ec033"),
        new("portblock", "portblock", ["protocol", "portno", "action"], 3, 3, WrapperArguments.Positional, "{udp|tcp} portno,portno {block|unblock}", ["protocol", "portno", "action"], "9e18e6dc8ec3bb1b7c9c38b2cf1b5a5af9718f5ee63e6b783d6de3ec82d25fea"),
    ];

    private static readonly ImmutableDictionary<string, ResourceWrapper> ByName = All.ToImmutableDictionary(w => w.Name, StringComparer.Ordinal);

    /// <summary>The wrapper of that name (case-sensitive, as file names are), or null.</summary>
    public static ResourceWrapper? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Whether a resource.d file with this SHA-256 is Debian's stock wrapper of that name (and may be run natively).</summary>
    public static bool IsStockCopy(string name, string sha256Hex) =>
        Find(name) is { } wrapper && string.Equals(wrapper.StockSha256, sha256Hex, StringComparison.OrdinalIgnoreCase);
}
