using Heartbeat.Protocol.Export;
using Heartbeat.Protocol.Tests.Support;

namespace Heartbeat.Protocol.Tests.Export;

/// <summary>
/// The export of each case (tests/vectors/export) equals its reviewed output in CASE/expected. After an intended
/// change, regenerate them with HBNET_UPDATE_EXPORT_GOLDEN=1 and review the diff.
/// </summary>
public sealed class ExportGoldenTests
{
    public static TheoryData<string, string> Outputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string name in ExportCases.Names)
        {
            foreach (string file in new[] { "cib.xml", "pcs.sh", "crmsh.crm", "corosync.conf" })
            {
                data.Add(name, file);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    public void TheExportEqualsTheReviewedOutput(string name, string file)
    {
        var export = ExportCases.Export(name);
        string actual = file switch
        {
            "cib.xml" => CibWriter.Write(export.Pacemaker),
            "pcs.sh" => PcsWriter.Write(export.Pacemaker),
            "crmsh.crm" => CrmshWriter.Write(export.Pacemaker),
            _ => CorosyncConfWriter.Write(export.Corosync),
        };
        string path = Path.Join(ExportCases.ExpectedDirectory(name), file);
        if (Environment.GetEnvironmentVariable("HBNET_UPDATE_EXPORT_GOLDEN") == "1")
        {
            Directory.CreateDirectory(ExportCases.ExpectedDirectory(name));
            File.WriteAllText(path, actual);
        }

        Assert.Equal(File.ReadAllText(path), actual);
    }
}
