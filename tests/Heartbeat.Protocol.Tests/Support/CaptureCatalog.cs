using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Tests.Support;

/// <summary>
/// Every capture in tests/vectors/captures with the keys it was made with: the authkeys files in conf/&lt;name&gt;/ merged
/// (multikey-mixed needs both nodes' files), or, for the behaviour study that has no conf folder, its README's
/// common setup (auth 1 / 1 md5 securepass). A capture added later is picked up by the same rules.
/// </summary>
public static class CaptureCatalog
{
    /// <summary>README-behaviour.md: "authkeys auth 1 / 1 md5 securepass" for every behaviour-*.pcap.</summary>
    public const string BehaviourStudyKeys = "1:md5:securepass";

    /// <summary>
    /// Packets captures/README.md lists as deliberately invalid (fakepeer-tests time map), by frame, with the step.
    /// Everything else must decode and authenticate.
    /// </summary>
    public static IReadOnlyDictionary<(string Capture, int Frame), string> DeliberatelyBad { get; } = new Dictionary<(string, int), string>
    {
        [("fakepeer-tests", 44)] = "T03 wrong auth= field, valid trailer",
        [("fakepeer-tests", 51)] = "T04 wrong trailer digest",
        [("fakepeer-tests", 62)] = "T05 no trailer",
        [("fakepeer-tests", 88)] = "T08 classic, wrong auth=",
        [("fakepeer-tests", 99)] = "T09 classic, no auth=",
        [("fakepeer-tests", 114)] = "T11 key index 5",
        [("fakepeer-tests", 127)] = "T12 garbage 'hello world'",
        [("fakepeer-tests", 128)] = "T12 garbage '###' alone",
        [("fakepeer-tests", 129)] = "T12 garbage, bad length",
        [("fakepeer-tests", 130)] = "T12 garbage, classic line without '='",
        [("fakepeer-tests", 291)] = "T29 trailer hex in upper case",
    };

    /// <summary>The hand-made packets of fakepeer-tests come from this address; re-encoding applies to real nodes' packets only.</summary>
    public const string FakePeerAddress = "10.10.10.100";

    public static IEnumerable<string> Names => Directory.GetFiles(TestPaths.Captures, "*.pcap").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (string name in Names)
        {
            data.Add(name);
        }

        return data;
    }

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Join(TestPaths.Captures, name + ".pcap"));

    /// <summary>The authkeys files a capture was made with; empty for the behaviour study (see <see cref="BehaviourStudyKeys"/>).</summary>
    public static string[] AuthKeysFiles(string name)
    {
        string conf = Path.Join(TestPaths.Captures, "conf", name);
        return Directory.Exists(conf) ? Directory.GetFiles(conf, "*.authkeys").Order(StringComparer.Ordinal).ToArray() : [];
    }

    public static AuthKeys Keys(string name)
    {
        var files = AuthKeysFiles(name);
        if (files.Length == 0)
        {
            return AuthKeys.FromSpec(BehaviourStudyKeys);
        }

        var keys = new Dictionary<int, AuthKey>();
        int? active = null;
        foreach (string file in files)
        {
            var parsed = AuthKeysParser.Parse(File.ReadAllBytes(file), file, mode: null);
            var value = parsed.Value ?? throw new InvalidOperationException($"{file}: {string.Join("; ", parsed.Diagnostics)}");
            active ??= value.ActiveIndex;
            foreach (var key in value.Keys.Values)
            {
                keys[key.Index] = key;
            }
        }

        return new AuthKeys(active!.Value, keys.Values);
    }
}
