using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;

namespace Heartbeat.Protocol.Tests.Fencing;

/// <summary>check-config's STONITH checks against a catalog that answers as cluster-glue's stonith command does.</summary>
public class StonithChecksTests
{
    private sealed class Catalog(bool installed = true) : IStonithCatalog
    {
        public IReadOnlyCollection<string>? Types => installed ? ["external/ssh", "meatware", "null"] : null;

        public IReadOnlyList<string> ParameterNames(string type) => type == "external/ssh" ? ["hostlist"] : ["hostlist"];

        public bool FileExists(string path) => path == "/etc/ha.d/ok.cfg";
    }

    [Fact]
    public void Known_types_with_their_values_and_an_existing_file_pass()
    {
        StonithDevice[] devices = [new("*", "external/ssh", "server1 server2", null, 3), new(null, "meatware", null, "/etc/ha.d/ok.cfg", 4)];
        Assert.Empty(StonithChecks.Check(devices, "ha.cf", new Catalog()));
    }

    [Fact]
    public void An_unknown_type_missing_values_and_a_missing_file_are_errors_naming_the_line()
    {
        StonithDevice[] devices = [new("*", "external/nosuch", "a", null, 3), new("server1", "meatware", "", null, 4), new(null, "null", null, "/etc/ha.d/missing.cfg", 5)];
        var found = StonithChecks.Check(devices, "ha.cf", new Catalog()).ToList();
        Assert.Equal([3, 4, 5], found.Select(d => d.Line));
        Assert.All(found, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.Equal("Invalid Stonith type [external/nosuch]", found[0].Message);
        Assert.Contains("meatware takes 1 value(s) in this order: hostlist; 0 given", found[1].Message, StringComparison.Ordinal);
        Assert.Contains("/etc/ha.d/missing.cfg", found[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_cluster_glue_a_device_is_an_error()
    {
        var found = Assert.Single(StonithChecks.Check([new("*", "meatware", "a", null, 2)], "ha.cf", new Catalog(installed: false)));
        Assert.Equal(2, found.Line);
    }
}
