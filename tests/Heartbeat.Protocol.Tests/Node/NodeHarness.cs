using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Fencing;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;
using Heartbeat.Protocol.Resources;
using Heartbeat.Protocol.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Heartbeat.Protocol.Tests.Node;

/// <summary>
/// ClusterNodes on one fake clock, driven as the daemon drives one: a fake medium carries each node's datagrams to the
/// others (links can be cut one way or both, nodes frozen, crashed, restarted), and each node's group worker completes
/// an action at once, fails it, or holds it until the test completes it.
/// </summary>
internal sealed class NodeHarness
{
    // behaviour.md's "2 groups" layout: one group per node, each with a script (not address-only).
    public const string TwoGroups = "server1 IPaddr2::10.10.10.1/24/ens18 Trace::g1a\nserver2 IPaddr2::10.10.10.11/24/ens18 Trace::g2a\n";

    // Address-only groups: what two nodes may briefly both hold (make-before-break).
    public const string AddressGroups = "server1 IPaddr2::10.10.10.1/24/ens18\nserver2 IPaddr2::10.10.10.11/24/ens18\n";

    public const string G1 = "IPaddr2::10.10.10.1/24/ens18";
    public const string G2 = "IPaddr2::10.10.10.11/24/ens18";

    /// <summary>The clock step of <see cref="Run"/>: nodes are ticked at their deadlines, at this resolution.</summary>
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(10);

    private readonly Dictionary<string, ulong> _generations = [];
    private readonly Dictionary<string, NodeOutputs> _outputs = [];
    private readonly Queue<(string From, string To, byte[] Bytes)> _inFlight = new();
    private readonly Queue<(string Node, GroupRequest Request, bool Success)> _finished = new();
    private readonly Queue<(string Node, byte[] Bytes, bool Ipv6)> _replies = new();

    private readonly List<(DateTimeOffset Due, string Node, FenceRequest Request)> _fencesRunning = [];

    /// <param name="stonith">A <c>stonith_host * TYPE</c> device on every node (the fake device of <see cref="FenceTakes"/>).</param>
    /// <param name="configure">Changes to every node's ha.cf after the defaults (ping nodes, ipfail).</param>
    public NodeHarness(AutoFailback policy, string haresources = TwoGroups, string[]? nodes = null, bool stonith = false, Func<HaCf, HaCf>? configure = null)
    {
        Names = nodes ?? ["server1", "server2"];
        var resources = HaResourcesParser.Parse(System.Text.Encoding.ASCII.GetBytes(haresources), "haresources", Names).Value!;
        var haCf = new HaCf
        {
            Nodes = [.. Names.Select((n, i) => new NodeEntry(n, i + 1))],
            Keepalive = TimeSpan.FromMilliseconds(200),
            Deadtime = TimeSpan.FromSeconds(1),
            Warntime = TimeSpan.FromMilliseconds(500),
            Initdead = TimeSpan.FromSeconds(2),
            AutoFailback = policy,
            ClassicMessageFormat = true,
            StonithDevices = stonith ? [new StonithDevice("*", "external/test", "", null, 1)] : [],
        };
        haCf = configure?.Invoke(haCf) ?? haCf;
        Keys = AuthKeys.FromSpec("1:md5:securepass");
        Config = new ClusterConfig(haCf, Keys, resources);
        Options = MembershipOptions.FromConfig(haCf);
        foreach (string name in Names)
        {
            Sent[name] = [];
            Events[name] = [];
            Requests[name] = [];
            Slow[name] = [];
            FailStarts[name] = [];
            Waiting[name] = [];
            Fences[name] = [];
            FenceLog[name] = [];
            LeftDown[name] = [];
            _outputs[name] = new NodeOutputs();
        }
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    public string[] Names { get; }

    public AuthKeys Keys { get; }

    public ClusterConfig Config { get; }

    public MembershipOptions Options { get; }

    public Dictionary<string, ClusterNode> Nodes { get; } = [];

    /// <summary>Everything each node sent, decoded, in order.</summary>
    public Dictionary<string, List<HaMessage>> Sent { get; } = [];

    public Dictionary<string, List<MembershipEvent>> Events { get; } = [];

    /// <summary>Every group request of each node, in the order issued.</summary>
    public Dictionary<string, List<GroupRequest>> Requests { get; } = [];

    /// <summary>Every group action of every node, in the order issued ("server1 release KEY").</summary>
    public List<string> Actions { get; } = [];

    /// <summary>Fencing's timers (short: the attempt timeout 2 s, 5 s retries as 3.0.6, a 3 s contender delay).</summary>
    public FencingOptions Fencing { get; init; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3));

    /// <summary>How long the fake device takes for a reset; null: resets wait for <see cref="FinishFence"/>.</summary>
    public TimeSpan? FenceTakes { get; set; }

    /// <summary>Whether the fake device's resets fail (the victim stays up).</summary>
    public bool FenceFails { get; set; }

    /// <summary>Every reset request of each node, in order.</summary>
    public Dictionary<string, List<FenceRequest>> Fences { get; } = [];

    /// <summary>Every fencing event of each node, in order.</summary>
    public Dictionary<string, List<FencingEvent>> FenceLog { get; } = [];

    /// <summary>Per node: the failed groups it said it leaves down (the log's "Group X is left down").</summary>
    public Dictionary<string, List<GroupLeftDown>> LeftDown { get; } = [];

    /// <summary>Each completed reset, in order: (when, who reset whom).</summary>
    public List<(DateTimeOffset At, string By, string Victim)> Resets { get; } = [];

    /// <summary>Per node, groups whose every start fails there.</summary>
    public Dictionary<string, HashSet<string>> FailStarts { get; } = [];

    /// <summary>Per node, groups whose actions wait for <see cref="Complete"/>.</summary>
    public Dictionary<string, HashSet<string>> Slow { get; } = [];

    /// <summary>Per node, the actions held back by <see cref="Slow"/>.</summary>
    public Dictionary<string, List<GroupRequest>> Waiting { get; } = [];

    /// <summary>Links that carry nothing, as (sender, receiver).</summary>
    public HashSet<(string From, string To)> Blocked { get; } = [];

    /// <summary>Nodes whose process is stopped (SIGSTOP): no ticks, and what is sent to them is lost.</summary>
    public HashSet<string> Frozen { get; } = [];

    /// <summary>Nodes not running: never started, crashed, or exited after a leave.</summary>
    public HashSet<string> Down { get; } = [];

    /// <summary>
    /// The ping nodes' hosts: given a node and its echo request, the reply the host sends back (the request's bytes
    /// echoed), or null when the host does not answer that node. Replies are delivered like datagrams.
    /// </summary>
    public Func<string, Heartbeat.Protocol.Ping.OutgoingEcho, byte[]?>? Gateway { get; set; }

    /// <summary>Delivered datagrams lose our marker field (re-signed), as if every peer were a real 3.0.6 node.</summary>
    public bool AsReal306 { get; init; }

    /// <summary>Creates (or re-creates, with a higher generation) a node and starts it.</summary>
    public ClusterNode Start(string name, IEnumerable<string>? leftovers = null)
    {
        ulong generation = _generations[name] = _generations.GetValueOrDefault(name, 1000UL) + 1;
        var node = new ClusterNode(
            Config,
            Options,
            new LocalIdentity(name, NodeUuid.FromNodeName(name), generation),
            Time,
            new Random(Array.IndexOf(Names, name) + 1),
            () => "0.01 0.02 0.03 1/100 4242",
            fencing: Fencing);
        Nodes[name] = node;
        Down.Remove(name);
        Frozen.Remove(name);
        Waiting[name].Clear();
        if (leftovers is not null)
        {
            node.AdoptLeftovers(leftovers);
        }

        node.Start();
        Settle();
        return node;
    }

    /// <summary>Starts every node together and runs until the placement has settled.</summary>
    public static NodeHarness StablePair(AutoFailback policy, string haresources = TwoGroups, bool asReal = false, bool stonith = false)
    {
        var lab = new NodeHarness(policy, haresources, stonith: stonith) { AsReal306 = asReal };
        lab.StartAll();
        lab.Run(TimeSpan.FromSeconds(asReal ? 11 : 1));
        lab.ClearRecords();
        return lab;
    }

    public void StartAll()
    {
        foreach (string name in Names)
        {
            Start(name);
        }
    }

    public void Crash(string name) => Down.Add(name);

    /// <summary>Cuts <paramref name="a"/> off from <paramref name="b"/> both ways (or, with oneWay, only a → b).</summary>
    public void Cut(string a, string b, bool oneWay = false)
    {
        Blocked.Add((a, b));
        if (!oneWay)
        {
            Blocked.Add((b, a));
        }
    }

    public void ClearRecords()
    {
        foreach (string name in Names)
        {
            Sent[name].Clear();
            Events[name].Clear();
            Requests[name].Clear();
        }

        Actions.Clear();
    }

    /// <summary>The held back action of a slow group completes now.</summary>
    public void Complete(string name, string key, bool success = true)
    {
        var request = Waiting[name].First(r => r.Key == key);
        Waiting[name].Remove(request);
        _finished.Enqueue((name, request, success));
        Settle();
    }

    /// <summary>Advances the clock in small steps, ticking each running node at its deadlines, delivering after each.</summary>
    public void Run(TimeSpan duration)
    {
        var end = Time.GetUtcNow() + duration;
        while (Time.GetUtcNow() < end)
        {
            Time.Advance(Step);
            CompleteDueFences();
            foreach (var (name, node) in Nodes)
            {
                if (Running(name) && node.Now >= node.NextDeadline)
                {
                    node.Tick();
                }
            }

            Settle();
        }
    }

    /// <summary>Pumps every running node and delivers what it sent, until nothing moves.</summary>
    public void Settle()
    {
        for (int round = 0; round < 1000; round++)
        {
            bool any = false;
            foreach (var (name, node) in Nodes)
            {
                if (Running(name))
                {
                    any |= Pump(name, node);
                }
            }

            while (_finished.TryDequeue(out var done))
            {
                any = true;
                if (Running(done.Node))
                {
                    Nodes[done.Node].GroupFinished(done.Request.Key, done.Request.Action, done.Success);
                }
            }

            while (_replies.TryDequeue(out var reply))
            {
                any = true;
                if (Running(reply.Node))
                {
                    Nodes[reply.Node].ReceiveEcho(reply.Bytes, reply.Ipv6);
                }
            }

            while (_inFlight.TryDequeue(out var datagram))
            {
                any = true;
                if (Running(datagram.To))
                {
                    Nodes[datagram.To].Receive(datagram.Bytes, "eth0");
                }
            }

            if (!any)
            {
                return;
            }
        }

        Assert.Fail("the nodes never settled");
    }

    /// <summary>The running reset of <paramref name="name"/> ends now with <paramref name="result"/> (the victim goes down on success).</summary>
    public void FinishFence(string name, FenceResult result)
    {
        var running = _fencesRunning.First(f => f.Node == name);
        _fencesRunning.Remove(running);
        Report(running.Node, running.Request, result);
        Settle();
    }

    private void CompleteDueFences()
    {
        foreach (var due in _fencesRunning.Where(f => f.Due <= Time.GetUtcNow()).ToList())
        {
            _fencesRunning.Remove(due);
            Report(due.Node, due.Request, FenceFails ? FenceResult.Bad : FenceResult.Ok);
        }
    }

    /// <summary>A reset that succeeded powers the victim off first; a node powered off itself reports nothing.</summary>
    private void Report(string name, FenceRequest request, FenceResult result)
    {
        if (!Running(name))
        {
            return;
        }

        if (result == FenceResult.Ok)
        {
            Down.Add(request.Node);
            Resets.Add((Time.GetUtcNow(), name, request.Node));
        }

        Nodes[name].FenceFinished(request.Node, result, TimeSpan.FromMilliseconds(100), null);
    }

    private bool Running(string name) => Nodes.ContainsKey(name) && !Down.Contains(name) && !Frozen.Contains(name);

    private bool Pump(string name, ClusterNode node)
    {
        var outputs = _outputs[name];
        outputs.Clear();
        node.Pump(outputs);
        Events[name].AddRange(outputs.Events);
        FenceLog[name].AddRange(outputs.FencingEvents);
        LeftDown[name].AddRange(outputs.GroupsLeftDown);
        foreach (var fence in outputs.FenceRequests)
        {
            Fences[name].Add(fence);
            _fencesRunning.Add((Time.GetUtcNow() + (FenceTakes ?? TimeSpan.FromDays(1)), name, fence));
        }

        // As the daemon: the group worker first (a takeover starts at once), then the media.
        foreach (var request in outputs.GroupRequests)
        {
            Requests[name].Add(request);
            Actions.Add($"{name} {request.Action.ToString().ToLowerInvariant()} {request.Key}");
            if (Slow[name].Contains(request.Key))
            {
                Waiting[name].Add(request);
            }
            else
            {
                _finished.Enqueue((name, request, request.Action != GroupAction.Acquire || !FailStarts[name].Contains(request.Key)));
            }
        }

        foreach (var echo in outputs.Echoes)
        {
            if (Gateway?.Invoke(name, echo) is { } reply)
            {
                _replies.Enqueue((name, reply, echo.Ipv6));
            }
        }

        foreach (var datagram in outputs.Datagrams)
        {
            var decoded = DatagramCodec.Decode(datagram.Bytes);
            Assert.True(decoded.IsOk, decoded.Error.ToString());
            var message = decoded.Value.Effective;
            Sent[name].Add(message);
            byte[] bytes = AsReal306 && message.GetString(PlannerBase.ImplementationField) is not null
                ? new Authenticator(Keys).Encode(message.Remove(PlannerBase.ImplementationField).Remove(PlannerBase.HeldGroupsField), Options.Wire)
                : datagram.Bytes.ToArray();
            foreach (string other in Names)
            {
                if (other != name && !Blocked.Contains((name, other)))
                {
                    _inFlight.Enqueue((name, other, bytes));
                }
            }

            node.ReportOwnLink("eth0", up: true);
        }

        if (node.MayExit)
        {
            Down.Add(name);
        }

        bool any = !outputs.IsEmpty;
        outputs.Clear();
        return any;
    }

    /// <summary>The groups a node holds, sorted.</summary>
    public List<string> Held(string name) => [.. Nodes[name].Held.Order(StringComparer.Ordinal)];

    /// <summary>The resource protocol's messages a node sent (membership's own left out), abbreviated.</summary>
    public List<string> Wire(string name) => [.. Sent[name].Where(m => !IsMembership(m.Type)).Select(Describe)];

    /// <summary>The requests of a node for a group, as "action cause".</summary>
    public List<string> RequestsFor(string name, string key) =>
        [.. Requests[name].Where(r => r.Key == key).Select(r => $"{r.Action.ToString().ToLowerInvariant()} {r.Cause}")];

    private static bool IsMembership(string? type) => type is MessageTypes.Status or MessageTypes.Ack or MessageTypes.Rexmit
        or MessageTypes.NakRexmit or MessageTypes.RequestNodes or MessageTypes.ReplyNodes;

    private static string Describe(HaMessage m) => m.Type switch
    {
        "resource" => string.Join(' ', new[] { "resource", m.GetString("rsc_hold"), m.GetString("isstable"), m.GetString("info") }.Where(x => x is not null)),
        "stonith" => $"stonith {m.GetString("node")} {m.GetString("result")}",
        "ask_resources" => $"ask_resources {m.GetString("rsc_hold")} {m.GetString("info")}",
        "ip-request" => $"ip-request {m.GetString("ipaddr")}",
        "ip-request-resp" => $"ip-request-resp {m.GetString("dest")} {m.GetString("ipaddr")} {m.GetString("weown")}",
        "hb_takeover" => $"hb_takeover {m.GetString("rsc_hold")}",
        "num_ping_nodes" => $"num_ping_nodes {m.GetString("num_ping")}",
        PlannerBase.HealNoticeType => "healed",
        _ => m.Type ?? "?",
    };
}
