namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// Our test device, installed where cluster-glue looks for external plugins (that directory only) under a name of
/// this lab's, and removed on dispose. Its reset writes a line (UTC time, action, node) to a record file, then
/// powers the node off through lab.sh, or refuses (mode fail).
/// </summary>
public sealed class StonithTestDevice : IDisposable
{
    private const string PluginDirectory = "/usr/lib/stonith/plugins/external";

    private StonithTestDevice(string path, string record)
    {
        Path = path;
        Record = record;
    }

    public string Path { get; }

    public string Record { get; }

    public static StonithTestDevice Install(Lab lab, string mode)
    {
        string name = $"hbnet-test-{lab.Name}";
        string path = System.IO.Path.Join(PluginDirectory, name);
        string record = System.IO.Path.Join(lab.Directory, "resets");
        File.WriteAllText(path, """
            #!/bin/sh
            # HeartbeatNet's test STONITH device: a reset powers the lab node's namespace off (lab.sh poweroff).
            case "$1" in
            gethosts) echo server1; echo server2 ;;
            getconfignames) printf 'labsh\nlab\nrecord\nmode\n' ;;
            status|on) exit 0 ;;
            reset|off)
              echo "$(date -u +%Y-%m-%dT%H:%M:%S.%6N) $1 $2" >> "$record"
              if [ "$mode" = fail ]; then echo "test device refuses to reset $2" >&2; exit 1; fi
              if [ "$mode" = switch ]; then
                # The test process is the power switch: ask it, and wait (20 s at most) until it says the node is off.
                touch "$record.request.$2.$$"
                for _ in $(seq 1 200); do [ -e "$record.done.$2.$$" ] && exit 0; sleep 0.1; done
                echo "the power switch did not answer" >&2; exit 1
              fi
              bash "$labsh" poweroff "$lab" "$2" >/dev/null 2>&1 || exit 1 ;;
            getinfo-devid|getinfo-devname) echo "HeartbeatNet test device" ;;
            getinfo-devdescr) echo "powers off a lab namespace" ;;
            getinfo-devurl) echo "https://example.invalid/" ;;
            getinfo-xml) echo "<parameters/>" ;;
            *) exit 1 ;;
            esac
            """ + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string labSh = System.IO.Path.Join(AppContext.BaseDirectory, "lab", "lab.sh");
        lab.ExtraHaCf = $"stonith_host * external/{name} {labSh} {lab.Name} {record} {mode}\n";
        return new StonithTestDevice(path, record);
    }

    /// <summary>
    /// Mode <c>switch</c>: this test process carries out the resets (a power switch outside every node). A real 3.0.6
    /// node runs its plugin inside its own PID and mount namespaces, where lab.sh cannot see the other node's
    /// processes: measured, its "node X now reset." left the node running. Polls for the plugin's requests every
    /// 20 ms, powers the node off with <see cref="Lab.PowerOff"/>, then tells the plugin. Stopped on dispose.
    /// </summary>
    public void StartPowerSwitch(Lab lab)
    {
        string directory = System.IO.Path.GetDirectoryName(Record)!;
        string prefix = System.IO.Path.GetFileName(Record) + ".request.";
        var stop = _switchStop;
        _switch = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (string request in System.IO.Directory.GetFiles(directory, prefix + "*"))
                {
                    string[] parts = System.IO.Path.GetFileName(request)[prefix.Length..].Split('.');
                    if (lab.Nodes.FirstOrDefault(n => n.Name == parts[0]) is { } node)
                    {
                        lab.PowerOff(node);
                    }

                    File.WriteAllText(System.IO.Path.Join(directory, $"{System.IO.Path.GetFileName(Record)}.done.{parts[0]}.{parts[1]}"), string.Empty);
                    File.Delete(request);
                }

                await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
            }
        });
    }

    private readonly CancellationTokenSource _switchStop = new();
    private Task? _switch;

    /// <summary>The attempts so far: (UTC time as yyyy-MM-ddTHH:mm:ss.ffffff, node).</summary>
    public List<(string At, string Node)> Resets() => File.Exists(Record)
        ? [.. File.ReadAllLines(Record).Select(l => l.Split(' ')).Where(w => w.Length == 3).Select(w => (w[0], w[2]))]
        : [];

    public void Dispose()
    {
        _switchStop.Cancel();
        _switch?.Wait(TimeSpan.FromSeconds(15));
        _switchStop.Dispose();
        File.Delete(Path);
    }
}
