using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Membership;

// Communication coming up: the reqnodes/repnodes node-list handshake and becoming active.
public sealed partial class MembershipEngine
{
    private void HandleNodeList(PeerNode peer, HaMessage message)
    {
        string ours = NodeListText();
        string theirs = message.GetString(MembershipFields.NodeList) ?? string.Empty;
        if (!SameNodes(theirs, ours))
        {
            // 3.0.6 would add and delete nodes to match; our node table follows ha.cf only.
            _events.Add(new NodeListMismatch(peer.Name, theirs, ours));
        }

        if (!CommunicationUp && _nextNodeListRequest is not null)
        {
            BecomeActive(handshake: true);
        }
    }

    private static bool SameNodes(string a, string b) =>
        a.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)
            .SequenceEqual(b.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), StringComparer.Ordinal);

    private void AdvanceCommunication(TimeSpan now)
    {
        if (CommunicationUp)
        {
            return;
        }

        // Comm comes up once every configured node has been heard from or declared dead.
        if (_peers.Values.Any(p => p.Status == NodeStatus.Init))
        {
            return;
        }

        var firstLive = Peers.FirstOrDefault(p => !p.IsDead);
        if (!FlowControl || firstLive is null)
        {
            BecomeActive(handshake: false);
            return;
        }

        if (_nextNodeListRequest is null || now >= _nextNodeListRequest)
        {
            _nextNodeListRequest = now + MembershipOptions.NodeListRetry;
            _events.Add(new NodeListExchange(firstLive.Name, Request: true));
            SendSequenced(new HaMessage([HaField.String(WireFields.Type, MessageTypes.RequestNodes), HaField.String(WireFields.Dest, firstLive.Name), .. DestUuid(firstLive)]));
        }
    }

    private void BecomeActive(bool handshake)
    {
        CommunicationUp = true;
        LocalStatus = NodeStatus.Active;
        var now = Now;
        foreach (var peer in _peers.Values.Where(p => !p.IsDead))
        {
            // From here each node's own advertised deadtime applies; start it fresh rather than from initdead's window.
            peer.WindowStart = peer.LastStatusAt ?? now;
        }

        _events.Add(new CommunicationUp(now, handshake));
        SendStatus();
    }

    private void SendNodeList(PeerNode requester)
    {
        // 3.0.6 puts dest before t here, and a receiver rewrites its node table from the list: always send exactly
        // the configured names, each followed by one space, and delnodelist " ".
        SendSequenced(new HaMessage(
        [
            HaField.String(WireFields.Dest, requester.Name),
            HaField.String(WireFields.Type, MessageTypes.ReplyNodes),
            HaField.String(MembershipFields.NodeList, NodeListText()),
            HaField.String(MembershipFields.DeletedNodeList, " "),
            .. DestUuid(requester),
        ]));
    }

    private string NodeListText() => string.Concat(_options.Nodes.Distinct().Select(n => n + " "));
}
