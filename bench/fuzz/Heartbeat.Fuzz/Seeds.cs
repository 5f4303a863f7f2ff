using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Heartbeat.Protocol.Capture;

namespace Heartbeat.Fuzz;

/// <summary>
/// Seed corpora: real 3.0.6 datagrams from tests/vectors/captures, the configurations those captures were made with and
/// the repository's samples, small bzip2 streams, control requests. AFL++ starts from these and mutates.
/// </summary>
internal static class Seeds
{
    // AFL++ is fastest with a small corpus of small inputs; the captures hold thousands of near-identical heartbeats.
    private const int MaxDatagramSeeds = 160;
    private const int MaxDatagramLength = 1_400;

    public static int Write(string target, string directory)
    {
        Directory.CreateDirectory(directory);
        var inputs = target switch
        {
            "datagram" => Datagrams(),
            "sequence" => Sequences(),
            "hacf" => ConfigFiles("ha.cf"),
            "authkeys" => ConfigFiles("authkeys"),
            "haresources" => ConfigFiles("haresources"),
            "bzip2" => Bzip2Streams(),
            "control" => ControlRequests(),
            _ => [],
        };
        int written = 0;
        foreach (byte[] input in inputs.DistinctBy(Convert.ToHexString))
        {
            File.WriteAllBytes(Path.Join(directory, $"seed-{written++:D4}"), input);
        }

        return written;
    }

    private static string RepositoryRoot()
    {
        // Built beside the sources, or into a scratch directory by bench/fuzz/run.sh, which runs from the repository.
        foreach (string start in (string[])[AppContext.BaseDirectory, Environment.CurrentDirectory])
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Join(dir.FullName, "HeartbeatNet.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"HeartbeatNet.sln not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}");
    }

    private static string Captures() => Path.Join(RepositoryRoot(), "tests", "vectors", "captures");

    private static List<byte[]> Datagrams()
    {
        // Per capture, its datagrams of distinct (length, first 24 bytes): every message type, framing and key.
        var seeds = new List<byte[]>();
        foreach (string pcap in Directory.GetFiles(Captures(), "*.pcap").Order(StringComparer.Ordinal))
        {
            var reader = CaptureReader.Read(File.ReadAllBytes(pcap));
            seeds.AddRange(reader.Datagrams
                .Where(d => d.DestinationPort == 694 && d.Payload.Length <= MaxDatagramLength)
                .Select(d => d.Payload.ToArray())
                .DistinctBy(p => (p.Length / 16, Convert.ToHexString(p.AsSpan(0, Math.Min(24, p.Length)))))
                .Take(8));
        }

        // Spread over all captures rather than the first ones.
        int step = Math.Max(1, seeds.Count / MaxDatagramSeeds);
        return [.. seeds.Where((_, i) => i % step == 0).Take(MaxDatagramSeeds)];
    }

    private static List<byte[]> Sequences()
    {
        static byte[] Steps(params short[] steps) => [.. steps.SelectMany(s => BitConverter.GetBytes(s))];
        return
        [
            Steps(1, 1, 1, 1, 1),
            Steps(1, 5, -2, -1, 1, 0, 1),
            Steps(1, 300, 1, -1),
            Steps(1, 250, -100, 200, 200, 200, -450),
            Steps(1, 251, 1, 0, 0),
            Steps(-1, -1, 2, 2, 2),
        ];
    }

    private static List<byte[]> ConfigFiles(string kind)
    {
        var files = Directory.GetFiles(Path.Join(Captures(), "conf"), "*." + kind, SearchOption.AllDirectories)
            .Append(Path.Join(RepositoryRoot(), "etc", "ha.d", kind))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal);
        var seeds = files.Select(File.ReadAllBytes).ToList();

        // Shapes the samples lack: continuation lines, tabs, comments after values, CRLF, odd spacing.
        seeds.AddRange(kind switch
        {
            "ha.cf" => [
                "keepalive 200ms\r\ndeadtime 1\r\nwarntime 500ms\r\ninitdead 2\r\nucast ens18 10.0.0.2\r\nnode server1 server2\r\n"u8.ToArray(),
                "# article\nlogfacility local0\nkeepalive 2\ndeadtime 10\nbcast eth0 eth1\nmcast eth1 225.0.0.1 694 1 0\nnode server1 \\\n server2\nauto_failback off\nudpport 694\ndebug 1\n"u8.ToArray(),
                "crm off\nautojoin none\nnode\tserver1\nbcast\teth0 # comment\nhbgenmethod file\nmsgfmt netstring\ncompression bz2\ntraditional_compression on\n"u8.ToArray(),
            ],
            "authkeys" => [
                "auth 3\n1 md5 secret\n2 sha1 other\n3 crc\n"u8.ToArray(),
                "# keys\nauth\t2\n2\tsha1\tKeyTwo # trailing\n"u8.ToArray(),
            ],
            "haresources" => [
                "server1 IPaddr2::10.0.0.10/24/ens18 mysql haproxy\nserver2 10.0.0.11 Filesystem::/dev/sdb1::/data::ext4\n"u8.ToArray(),
                "server1 \\\n  IPaddr::10.0.0.10/24/ens18/10.0.0.255 \\\n  apache\n# comment\n"u8.ToArray(),
            ],
            _ => [],
        });
        return seeds;
    }

    private static List<byte[]> Bzip2Streams()
    {
        string[] texts = ["", "a", "t=status\nsrc=server1\nseq=1\n", string.Concat(Enumerable.Repeat("abcabcabd", 300)), Convert.ToBase64String(RandomNumberGenerator.GetBytes(600))];
        var seeds = new List<byte[]>();
        foreach (string text in texts)
        {
            var start = new ProcessStartInfo("bzip2", "-c -9") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("bzip2 did not start");
            var output = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
            process.StandardInput.BaseStream.Write(Encoding.ASCII.GetBytes(text));
            process.StandardInput.Close();
            copy.Wait(TimeSpan.FromSeconds(30));
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)) || process.ExitCode != 0)
            {
                throw new InvalidOperationException("bzip2 failed");
            }

            seeds.Add(output.ToArray());
        }

        return seeds;
    }

    private static List<byte[]> ControlRequests() =>
    [
        """{"version":1,"command":"status"}"""u8.ToArray(),
        """{"version":1,"command":"standby","argument":"foreign"}"""u8.ToArray(),
        """{"version":1,"command":"reload","argument":"dry-run"}"""u8.ToArray(),
        """{"version":2,"command":"takeover","argument":null}"""u8.ToArray(),
    ];
}
