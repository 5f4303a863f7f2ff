using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Heartbeat.Protocol.Tests.Membership;

/// <summary>Engines on one fake clock, wired by hand: what one sends, the test delivers (or drops) to the others.</summary>
internal sealed class EngineHarness
{
    public static readonly string[] TwoNodes = ["server1", "server2"];

    public EngineHarness(string[]? nodes = null, TimeSpan? deadtime = null, string keys = "1:md5:securepass", int seed = 1, TimeSpan? keepalive = null)
    {
        Nodes = nodes ?? TwoNodes;
        Keys = AuthKeys.FromSpec(keys);
        Options = new MembershipOptions
        {
            Nodes = [.. Nodes],
            Keepalive = keepalive ?? TimeSpan.FromMilliseconds(200),
            Deadtime = deadtime ?? TimeSpan.FromSeconds(1),
            Warntime = TimeSpan.FromMilliseconds(500),
            Initdead = TimeSpan.FromSeconds(2),
            MessageTtl = 1 + Nodes.Length,
            StallThreshold = TimeSpan.FromMilliseconds(500),
        };
        Seed = seed;
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    public string[] Nodes { get; }

    public AuthKeys Keys { get; }

    public MembershipOptions Options { get; }

    public int Seed { get; }

    public Dictionary<string, MembershipEngine> Engines { get; } = [];

    public Dictionary<string, List<MembershipEvent>> Events { get; } = [];

    /// <summary>Everything each engine sent, decoded, in order.</summary>
    public Dictionary<string, List<(OutgoingDatagram Datagram, HaMessage Message)>> Sent { get; } = [];

    /// <summary>When each datagram of <see cref="Sent"/> left, on the fake clock.</summary>
    public Dictionary<string, List<DateTimeOffset>> SentAt { get; } = [];

    /// <summary>Decides per datagram whether it reaches a receiver (sender, receiver, datagram).</summary>
    public Func<string, string, OutgoingDatagram, bool> Deliver { get; set; } = (_, _, _) => true;

    /// <summary>server1 and server2, started together and run for <paramref name="duration"/>.</summary>
    public static EngineHarness ActivePair(TimeSpan duration)
    {
        var lab = new EngineHarness();
        lab.Add("server1");
        lab.Add("server2");
        lab.Start("server1", "server2");
        lab.Run(duration);
        return lab;
    }

    public MembershipEngine Add(string name, ulong generation = 1000)
    {
        var engine = new MembershipEngine(
            Options,
            new LocalIdentity(name, NodeUuid.FromNodeName(name), generation),
            new Authenticator(Keys),
            Time,
            new Random(Seed + Engines.Count),
            () => "0.01 0.02 0.03 1/100 4242");
        Engines[name] = engine;
        Events[name] = [];
        Sent[name] = [];
        SentAt[name] = [];
        return engine;
    }

    public void Start(params string[] names)
    {
        foreach (string name in names)
        {
            Engines[name].Start();
        }

        Pump();
    }

    /// <summary>Moves outgoing datagrams to every other engine until nothing is left to deliver.</summary>
    public void Pump()
    {
        for (int round = 0; round < 100; round++)
        {
            bool any = false;
            foreach (var (name, engine) in Engines.ToArray())
            {
                Events[name].AddRange(engine.DrainEvents());
                foreach (var datagram in engine.DrainOutgoing())
                {
                    any = true;
                    var decoded = DatagramCodec.Decode(datagram.Bytes);
                    Assert.True(decoded.IsOk, decoded.Error.ToString());
                    Sent[name].Add((datagram, decoded.Value.Effective));
                    SentAt[name].Add(Time.GetUtcNow());
                    foreach (var (other, receiver) in Engines)
                    {
                        if (other != name && Deliver(name, other, datagram))
                        {
                            receiver.Receive(datagram.Bytes, "eth0");
                        }
                    }
                }
            }

            if (!any)
            {
                return;
            }
        }
    }

    /// <summary>Advances the clock in 50 ms ticks (as the daemon does), delivering after each.</summary>
    public void Run(TimeSpan duration, params string[] only)
    {
        var end = Time.GetUtcNow() + duration;
        while (Time.GetUtcNow() < end)
        {
            Time.Advance(TimeSpan.FromMilliseconds(50));
            foreach (var (name, engine) in Engines)
            {
                if (only.Length == 0 || only.Contains(name))
                {
                    engine.Tick();
                }
            }

            Pump();
        }
    }

    /// <summary>
    /// Advances the clock from one engine deadline to the next and ticks only the engines that are due, as the daemon
    /// does (it has no regular tick); returns how many ticks that took.
    /// </summary>
    public int RunByDeadlines(TimeSpan duration)
    {
        var end = Time.GetUtcNow() + duration;
        int ticks = 0;
        while (true)
        {
            var next = Engines.Values.Min(e => Time.GetUtcNow() + (e.NextDeadline - e.Now));
            if (next > end)
            {
                Time.Advance(end - Time.GetUtcNow());
                return ticks;
            }

            if (next > Time.GetUtcNow())
            {
                Time.Advance(next - Time.GetUtcNow());
            }

            foreach (var engine in Engines.Values.Where(e => e.Now >= e.NextDeadline).ToList())
            {
                engine.Tick();
                ticks++;
            }

            Pump();
        }
    }

    public IEnumerable<T> EventsOf<T>(string name) => Events[name].OfType<T>();
}
