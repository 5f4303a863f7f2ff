using System.Net;
using System.Net.Sockets;
using Heartbeat.Integration.Tests.Support;

namespace Heartbeat.Bench.Shared;

/// <summary>
/// The answering side of the bench's VIP clients (the benchmark's UDP <c>MultiVipProbe</c>, the chaos campaign's TCP
/// <c>ClientProbe</c>): on every node a socket bound to 0.0.0.0:<see cref="Port"/> in its namespace, so whichever node
/// holds a VIP answers for it. Shared as source by both bench projects; the answering loops stay with each probe.
/// </summary>
public static class ProbeListeners
{
    /// <summary>The port every node answers on (TCP and UDP alike).</summary>
    public const int Port = 7695;

    /// <summary>
    /// One bound socket per node, in the nodes' order: TCP listening with a backlog of 256 (address reuse on, so a
    /// run right after another binds at once), or UDP. On a failure the sockets opened so far are closed.
    /// </summary>
    public static List<(LabNode Node, Socket Socket)> Open(Lab lab, IEnumerable<LabNode> nodes, ProtocolType protocol)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(protocol is ProtocolType.Tcp or ProtocolType.Udp, true, nameof(protocol));
        var opened = new List<(LabNode Node, Socket Socket)>();
        try
        {
            foreach (var node in nodes)
            {
                var socket = protocol == ProtocolType.Tcp ? NetnsSocket.CreateTcp(lab.Netns(node)) : NetnsSocket.CreateUdp(lab.Netns(node));
                opened.Add((node, socket));
                if (protocol == ProtocolType.Tcp)
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                }

                socket.Bind(new IPEndPoint(IPAddress.Any, Port));
                if (protocol == ProtocolType.Tcp)
                {
                    socket.Listen(256);
                }
            }

            return opened;
        }
        catch
        {
            foreach (var (_, socket) in opened)
            {
                socket.Dispose();
            }

            throw;
        }
    }
}
