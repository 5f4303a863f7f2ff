using System.Net;
using System.Net.Sockets;

namespace Heartbeat.Protocol.Config;

/// <summary>The IPv6 media, with the argument checks of 3.0.6's mcast6 and ucast6 plugins.</summary>
public static partial class HaCfDirectives
{
    private static void ApplyMcast6(HaCfBuilder b, DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 5)
        {
            c.Error($"mcast6 needs 5 arguments (interface group port hops loop), got {words.Length}", "example: mcast6 eth0 ff02::694 694 1 0");
            return;
        }

        if (!IPAddress.TryParse(words[1], out var group) || group.AddressFamily != AddressFamily.InterNetworkV6 || !group.IsIPv6Multicast)
        {
            c.Error($"mcast6 [{words[0]}] bad addr [{words[1]}]: not an IPv6 multicast group (ff00::/8)");
            return;
        }

        if (!c.TryInteger(words[2], 1, 65535, out int port))
        {
            return;
        }

        // The plugin keeps hops and loop in an unsigned char and refuses more than 4 and 1 (as mcast does for its ttl).
        if (!int.TryParse(words[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int hops) || hops > 4)
        {
            c.Error($"mcast6 [{words[0]}] bad hops [{words[3]}]: it must be 0 to 4");
            return;
        }

        if (words[4] is not ("0" or "1"))
        {
            c.Error($"mcast6 [{words[0]}] bad loop [{words[4]}]: it must be 0 or 1");
            return;
        }

        if (words.Length > 5)
        {
            c.Warning($"mcast6: extra words after the loop value are ignored: {string.Join(' ', words[5..])}");
        }

        var medium = new Multicast6Medium(words[0], group, port, hops, words[4] == "1", c.Line);
        if (b.Media.OfType<Multicast6Medium>().FirstOrDefault(m => m.Interface == medium.Interface && m.Group.Equals(group) && m.Port == port) is { } existing)
        {
            c.Warning($"the same IPv6 multicast medium is already declared on line {existing.Line}", "3.0.6 opens it twice; HeartbeatNet opens it once");
            return;
        }

        b.Media.Add(medium);
    }

    private static void ApplyUcast6(HaCfBuilder b, DirectiveContext c, string line)
    {
        string[] words = SplitWords(line);
        if (words.Length < 2)
        {
            c.Error("ucast6 needs an interface and a peer address", "example: ucast6 eth0 fd00::2 (one line per peer)");
            return;
        }

        if (words.Length > 2)
        {
            c.Warning($"ucast6: only the first peer is used; '{string.Join(' ', words[2..])}' is ignored", "write one ucast6 line per peer");
        }

        if (IPAddress.TryParse(words[1], out var literal) && literal.AddressFamily != AddressFamily.InterNetworkV6)
        {
            c.Error($"ucast6 [{words[0]}] bad addr [{words[1]}]: not an IPv6 address", "use ucast for an IPv4 peer");
            return;
        }

        if (b.Media.OfType<Unicast6Medium>().FirstOrDefault(m => m.Interface == words[0] && m.Peer == words[1]) is { } existing)
        {
            c.Warning($"the same IPv6 unicast medium is already declared on line {existing.Line}", "3.0.6 opens it twice; HeartbeatNet opens it once");
            return;
        }

        // Like ucast, ucast6 takes the udpport current when its line is read.
        b.FirstPortBoundMediumLine ??= c.Line;
        b.Media.Add(new Unicast6Medium(words[0], words[1], b.UdpPort, c.Line));
    }
}
