namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// A shared disk for Filesystem resources: an ext4 image in the lab's directory behind a loop device, detached on
/// dispose (dispose it after the lab, whose namespaces hold the mounts).
/// </summary>
public sealed class LoopDisk : IDisposable
{
    private LoopDisk(string device) => Device = device;

    /// <summary>The loop device (/dev/loopN).</summary>
    public string Device { get; }

    public static LoopDisk Create(string directory)
    {
        string image = Path.Join(directory, "disk.img");
        Run("truncate", "-s", "32M", image);
        Run("mkfs.ext4", "-q", "-F", image);
        return new LoopDisk(Run("losetup", "-f", "--show", image).Trim());
    }

    public void Dispose() => Run("losetup", "-d", Device);

    private static string Run(params string[] command)
    {
        var (code, output, error) = Processes.Run(command, TimeSpan.FromSeconds(60));
        return code == 0 ? output : throw new InvalidOperationException($"{string.Join(' ', command)} failed ({code}): {error}");
    }
}
