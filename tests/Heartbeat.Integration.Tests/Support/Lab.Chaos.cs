using System.Globalization;

namespace Heartbeat.Integration.Tests.Support;

/// <summary>
/// The faults of the chaos campaign (bench/chaos) that act in the bridges, so that a capture on a node's own interface
/// shows only what that node really received.
/// </summary>
public sealed partial class Lab
{
    /// <summary>Drops (or lets through again) every frame from <paramref name="from"/> to <paramref name="to"/>: a one-way partition.</summary>
    public void Cut(LabNode from, LabNode to, bool on) => Script("cut", Name, from.Name, to.Name, on ? "on" : "off");

    /// <summary>Drops this share (below 100) of the frames the node sends, in the bridge; 0 clears.</summary>
    public void BridgeLoss(LabNode node, int percent) => Script("bloss", Name, node.Name, percent.ToString(CultureInfo.InvariantCulture));

    /// <summary>Every frame the node sends on the first network arrives twice at the other nodes.</summary>
    public void Duplicate(LabNode node, bool on) => Script("dup", Name, node.Name, on ? "on" : "off");

    /// <summary>A rate-limited queue on every interface of the node (null clears): its datagrams leave late and bunched.</summary>
    public void Slow(LabNode node, int? kilobits) => Script("slow", Name, node.Name, kilobits is { } k ? k.ToString(CultureInfo.InvariantCulture) : "none");

    /// <summary>The node's links down and up <paramref name="count"/> times, each state held <paramref name="milliseconds"/>.</summary>
    public void Flap(LabNode node, int count, int milliseconds) =>
        Script("flap", Name, node.Name, count.ToString(CultureInfo.InvariantCulture), milliseconds.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Every process of a real 3.0.6 node's Heartbeat: its master and its children (the read and write processes of
    /// each medium, the FIFO child), by name among the processes of its network namespace. A stall is all of them
    /// stopped; the master alone stopped leaves its children sending nothing but receiving.
    /// </summary>
    public List<int> RealDaemonProcesses(LabNode node)
    {
        var (_, output, _) = Processes.Run(["ip", "netns", "pids", Netns(node)], TimeSpan.FromSeconds(10));
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.Parse(p, CultureInfo.InvariantCulture))
            .Where(p => Comm(p) is "heartbeat" || Comm(p).StartsWith("ha_", StringComparison.Ordinal))];
    }

    /// <summary>A process's name (/proc/PID/comm), empty once it is gone.</summary>
    public static string Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>Runs a command in the node's namespace and returns its exit code (a failure is an answer, not an error).</summary>
    public int InNetnsCode(LabNode node, params string[] command) =>
        Processes.Run(["ip", "netns", "exec", Netns(node), .. command], TimeSpan.FromSeconds(30)).Code;
}
