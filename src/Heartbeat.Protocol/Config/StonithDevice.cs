namespace Heartbeat.Protocol.Config;

/// <summary>
/// One <c>stonith</c> or <c>stonith_host</c> line of ha.cf: a cluster-glue STONITH device. 3.0.6 keeps one device
/// (config.c: "This will have to change to a list !!!"): the last line that applies to this node wins, see
/// <see cref="ForNode"/>.
/// </summary>
/// <param name="Host">stonith_host's host, lower-cased, or <c>*</c>; null for a <c>stonith type file</c> line (every node).</param>
/// <param name="Type">The cluster-glue plugin type (<c>external/ssh</c>, <c>meatware</c>, …).</param>
/// <param name="Parameters">stonith_host's parameter words as written (passed to <c>stonith -p</c>); null with a file.</param>
/// <param name="ConfigFile">stonith's configuration file (passed to <c>stonith -F</c>); null for stonith_host.</param>
/// <param name="Line">The ha.cf line.</param>
public sealed record StonithDevice(string? Host, string Type, string? Parameters, string? ConfigFile, int Line)
{
    /// <summary>
    /// The device this node uses: the last line whose host is <c>*</c> or <paramref name="localNode"/> (3.0.6 skips
    /// stonith_host lines for other hosts silently, and each applying line replaces the previous device).
    /// </summary>
    public static StonithDevice? ForNode(IReadOnlyList<StonithDevice> devices, string localNode)
    {
        StonithDevice? chosen = null;
        foreach (var device in devices)
        {
            if (device.Host is null or "*" || string.Equals(device.Host, localNode, StringComparison.OrdinalIgnoreCase))
            {
                chosen = device;
            }
        }

        return chosen;
    }

    /// <summary>How the log names the device: its type and where its parameters come from.</summary>
    public string Describe() => ConfigFile is { } file ? $"{Type} (config file {file})" : $"{Type} (ha.cf line {Line})";
}
