namespace Heartbeat.Chaos;

/// <summary>The cluster a run puts under faults.</summary>
public enum Pairing
{
    /// <summary>Two of our daemons.</summary>
    OursOurs,

    /// <summary>Ours (server1) beside a real Heartbeat 3.0.6 (server2).</summary>
    OursReal,

    /// <summary>Three of ours, membership only: v1 resource placement is defined for two nodes (README, Differences).</summary>
    Three,
}

/// <summary>The nemesis' vocabulary: every fault the campaign applies.</summary>
public enum FaultKind
{
    /// <summary>The node cut from every peer both ways (in the bridges), then healed.</summary>
    Partition,

    /// <summary>Frames from the node to one peer dropped, the other way untouched.</summary>
    OneWay,

    /// <summary>The node's second medium (bcast on the second bridge) cut; the first one carries on.</summary>
    OneMedium,

    /// <summary>The node's links down and up several times quickly.</summary>
    Flap,

    /// <summary>A share of the node's frames dropped in the bridge.</summary>
    Loss,

    /// <summary>A rate-limited queue on the node's interfaces: its heartbeats late and bunched (the kernel has no netem).</summary>
    Delay,

    /// <summary>Every frame the node sends arrives twice.</summary>
    Duplicate,

    /// <summary>A power-off: SIGKILL of the daemon, its addresses gone, the resource's state gone; started again at the heal.</summary>
    Kill,

    /// <summary>SIGSTOP for less than deadtime, then SIGCONT.</summary>
    StopShort,

    /// <summary>SIGSTOP for more than deadtime, then SIGCONT.</summary>
    StopLong,

    /// <summary>A graceful stop (SIGTERM), started again at the heal.</summary>
    Graceful,

    /// <summary>hb_standby all on the node (ours: hbctl standby all).</summary>
    Standby,

    /// <summary>hb_takeover all on the node (ours: hbctl takeover all).</summary>
    Takeover,

    /// <summary>SIGHUP: reload the configuration in place.</summary>
    Reload,

    /// <summary>The counting resource fails its start and stop on the node, which is told to take over meanwhile.</summary>
    ScriptFail,

    /// <summary>The counting resource hangs its start and stop on the node, which is told to take over meanwhile.</summary>
    ScriptHang,

    /// <summary>One VIP deleted by hand on its holder; the operator's repair at the heal is a standby of that holder.</summary>
    VipDelete,
}

/// <summary>One fault of the schedule: its kind, the node it targets, how long it lasts and how long the quiet after it is.</summary>
/// <param name="Parameter">Kind-specific: loss percent, rate in kbit/s, flap count, the VIP's index, the peer's index.</param>
public sealed record Fault(FaultKind Kind, int Target, TimeSpan Duration, TimeSpan Settle, int Parameter);

/// <summary>One run: a fresh lab with one pairing and its settings, and its faults in order.</summary>
public sealed record RunPlan(int Index, Pairing Pairing, bool AutoFailback, int VipCount, IReadOnlyList<Fault> Faults)
{
    /// <summary>The node count of the pairing.</summary>
    public int Nodes => Pairing == Pairing.Three ? 3 : 2;

    /// <summary>The time the faults and their settle windows take as planned.</summary>
    public TimeSpan Planned => Faults.Aggregate(TimeSpan.Zero, (sum, f) => sum + f.Duration + f.Settle);
}

/// <summary>The lab's timers, the same for every run and implementation.</summary>
public sealed record Timers(TimeSpan Keepalive, TimeSpan Deadtime, TimeSpan Warntime, int InitdeadSeconds)
{
    public static Timers Campaign { get; } = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 6);
}

/// <summary>
/// The schedule of a campaign as a pure function of (seed, minutes, pairing): one <see cref="Random"/> seeded with the
/// seed drives every choice (pairing order aside, which alternates), so a seed replays the very same faults.
/// </summary>
public static class Planner
{
    /// <summary>Longest run: a fresh lab at least this often (one lab per pairing turn).</summary>
    public static readonly TimeSpan RunLength = TimeSpan.FromMinutes(4);

    /// <summary>What a lab costs before its first fault (namespaces, starts, initial placement), counted in the budget.</summary>
    public static readonly TimeSpan RunOverhead = TimeSpan.FromSeconds(25);

    private static readonly FaultKind[] PairKinds = Enum.GetValues<FaultKind>();

    /// <summary>Without resources (three nodes) the resource faults have nothing to act on.</summary>
    private static readonly FaultKind[] MembershipKinds =
        [.. PairKinds.Where(k => k is not (FaultKind.Standby or FaultKind.Takeover or FaultKind.ScriptFail or FaultKind.ScriptHang or FaultKind.VipDelete))];

    public static IReadOnlyList<RunPlan> Plan(int seed, double minutes, Pairing? pairing, Timers timers)
    {
        var random = new Random(seed);
        var runs = new List<RunPlan>();
        var budget = TimeSpan.FromMinutes(minutes);
        Pairing[] turns = pairing is { } only ? [only] : [Pairing.OursOurs, Pairing.OursReal, Pairing.Three];
        while (budget > RunOverhead + TimeSpan.FromSeconds(20))
        {
            var which = turns[runs.Count % turns.Length];
            var length = (budget < RunLength ? budget : RunLength) - RunOverhead;
            bool failback = random.Next(2) == 1;
            int vips = random.Next(2, 5);
            var faults = new List<Fault>();
            var used = TimeSpan.Zero;
            while (true)
            {
                var fault = Next(random, which, vips, timers);
                if (used + fault.Duration + fault.Settle > length)
                {
                    break;
                }

                faults.Add(fault);
                used += fault.Duration + fault.Settle;
            }

            runs.Add(new RunPlan(runs.Count + 1, which, failback, which == Pairing.Three ? 0 : vips, faults));
            budget -= length + RunOverhead;
        }

        return runs;
    }

    private static Fault Next(Random random, Pairing pairing, int vips, Timers timers)
    {
        var kinds = pairing == Pairing.Three ? MembershipKinds : PairKinds;
        var kind = kinds[random.Next(kinds.Length)];
        int nodes = pairing == Pairing.Three ? 3 : 2;
        int target = random.Next(nodes);
        double deadtime = timers.Deadtime.TotalMilliseconds;
        (double ms, int parameter) = kind switch
        {
            FaultKind.Partition => (random.Next(1000, 7000), 0),
            FaultKind.OneWay => (random.Next(1000, 7000), (target + 1 + random.Next(nodes - 1)) % nodes),
            FaultKind.OneMedium => (random.Next(2000, 8000), 0),
            FaultKind.Flap => (0, random.Next(2, 6) * 1000 + random.Next(100, 700)),
            FaultKind.Loss => (random.Next(3000, 10000), random.Next(10, 70)),
            FaultKind.Delay => (random.Next(3000, 8000), random.Next(8, 33)),
            FaultKind.Duplicate => (random.Next(3000, 8000), 0),
            FaultKind.Kill => (random.Next(1000, 6000), 0),
            FaultKind.StopShort => (random.Next((int)(deadtime * 0.2), (int)(deadtime * 0.8)), 0),
            FaultKind.StopLong => (random.Next((int)(deadtime * 1.5), (int)(deadtime * 3)), 0),
            FaultKind.Graceful => (random.Next(1000, 5000), 0),
            FaultKind.ScriptFail or FaultKind.ScriptHang => (random.Next(3000, 8000), 0),
            FaultKind.VipDelete => (random.Next(1000, 4000), random.Next(vips)),
            _ => (0, 0),
        };

        // The quiet after the heal: long enough for a takeover and a failback to finish (deadtime, the group's start,
        // and 3.0.6's own pauses), random so faults do not fall into step with the timers.
        var settle = TimeSpan.FromMilliseconds(random.Next(8000, 14000));
        return new Fault(kind, target, TimeSpan.FromMilliseconds(ms), settle, parameter);
    }

    /// <summary>Parses ours+ours, ours+real, three.</summary>
    public static Pairing? ParsePairing(string text) => text switch
    {
        "ours+ours" => Pairing.OursOurs,
        "ours+real" => Pairing.OursReal,
        "three" => Pairing.Three,
        _ => null,
    };

    public static string Name(Pairing pairing) => pairing switch
    {
        Pairing.OursOurs => "ours+ours",
        Pairing.OursReal => "ours+real",
        _ => "three",
    };
}
