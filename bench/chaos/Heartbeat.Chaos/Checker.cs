namespace Heartbeat.Chaos;

/// <summary>A closed time interval in epoch seconds.</summary>
public readonly record struct Span(double From, double To)
{
    public double Length => To - From;

    public bool Contains(double t) => t >= From && t <= To;

    public Span? Intersect(Span other) => Math.Max(From, other.From) is var from && Math.Min(To, other.To) is var to && from <= to ? new Span(from, to) : null;
}

/// <summary>
/// The checker: pure functions over a run's recorded <see cref="Evidence"/>, each rule in its own function, no I/O and
/// no clock. The rules, as the report states them:
/// <list type="number">
/// <item>double-holder: a VIP (or the counting resource) held by two nodes for longer than the grace (the group's stop
/// time + margin) within a stretch when each of the two has received the other's heartbeats continuously (no gap above
/// two keepalives, on any medium, as captured on its own interfaces) for at least one keepalive; the culprit is the
/// holder that acquired against the captured resource exchange (<see cref="AcquisitionOrder"/>), else the later;</item>
/// <item>no-holder: a VIP without a holder at heal + deadtime + the group's start time + margin after a fault, or
/// later in its quiet window for longer than a handover (stop + start + margin), or at the end of the window;</item>
/// <item>died: a daemon's pid vanishing or changing other than within a kill or graceful stop of that node (from its
/// begin to its heal + the restart allowance);</item>
/// <item>started-twice: the counting script's start called on a node where it already runs (started, no stop or
/// power-off since);</item>
/// <item>not-heard: two nodes that have not heard each other again by the end of a fault's quiet window.</item>
/// </list>
/// </summary>
public static class Checker
{
    /// <summary>The counting resource's name where a rule reports it beside the VIPs.</summary>
    public const string CountingResource = "chaoscount";

    public static List<Violation> Check(Evidence evidence, CheckRules rules) =>
    [
        .. DoubleHolders(evidence, rules),
        .. NoHolder(evidence, rules),
        .. Died(evidence, rules),
        .. StartedTwice(evidence),
        .. NotHeard(evidence, rules),
    ];

    /// <summary>When <paramref name="node"/> held <paramref name="address"/>: from each add to the next delete (or the end).</summary>
    public static List<Span> Holding(IEnumerable<AddressChange> changes, string node, string address, double end)
    {
        var spans = new List<Span>();
        double? since = null;
        foreach (var change in changes.Where(c => c.Node == node && c.Address == address).OrderBy(c => c.At))
        {
            if (change.Added)
            {
                since ??= change.At;
            }
            else if (since is { } from)
            {
                spans.Add(new Span(from, change.At));
                since = null;
            }
        }

        if (since is { } open)
        {
            spans.Add(new Span(open, end));
        }

        return spans;
    }

    /// <summary>When the counting resource ran on the node: from each "started" to the next "stopped" or "reset".</summary>
    public static List<Span> Running(IEnumerable<ScriptCall> calls, string node, double end) =>
        Holding(
            calls.Where(c => c.Node == node && c.Action is "started" or "stopped" or "reset")
                .Select(c => new AddressChange(c.At, node, CountingResource, c.Action == "started")),
            node,
            CountingResource,
            end);

    /// <summary>
    /// When <paramref name="receiver"/> heard <paramref name="sender"/> continuously: each run of arrivals no further apart
    /// than the gap, from its first arrival to its last + the gap.
    /// </summary>
    public static List<Span> Heard(IEnumerable<Reception> receptions, string receiver, string sender, double gap)
    {
        var spans = new List<Span>();
        double? first = null;
        double last = 0;
        foreach (double at in receptions.Where(r => r.Receiver == receiver && r.Sender == sender).Select(r => r.At).Order())
        {
            if (first is { } f && at - last > gap)
            {
                spans.Add(new Span(f, last + gap));
                first = null;
            }

            first ??= at;
            last = at;
        }

        if (first is { } open)
        {
            spans.Add(new Span(open, last + gap));
        }

        return spans;
    }

    /// <summary>When <paramref name="a"/> and <paramref name="b"/> each heard the other continuously.</summary>
    public static List<Span> Mutual(IReadOnlyList<Reception> receptions, string a, string b, double gap) =>
        Intersections(Heard(receptions, a, b, gap), Heard(receptions, b, a, gap));

    public static List<Span> Intersections(IReadOnlyList<Span> left, IReadOnlyList<Span> right) =>
        [.. left.SelectMany(l => right.Select(r => l.Intersect(r))).OfType<Span>().Where(s => s.Length > 0).OrderBy(s => s.From)];

    /// <summary>Rule 1, for every VIP and the counting resource.</summary>
    public static IEnumerable<Violation> DoubleHolders(Evidence evidence, CheckRules rules)
    {
        var resources = evidence.Vips.Select(v => (Name: v, Held: (Func<string, List<Span>>)(n => Holding(evidence.Addresses, n, v, evidence.End))))
            .Append((Name: CountingResource, Held: n => Running(evidence.Script, n, evidence.End)));
        foreach (var (name, held) in resources)
        {
            foreach (var (a, b) in Pairs(evidence.Nodes))
            {
                var both = Intersections(held(a), held(b));
                if (both.Count == 0)
                {
                    continue;
                }

                // The moments from which each had heard the other for a keepalive; a double hold within them may last
                // the grace (the loser's stop), no longer.
                var heard = Mutual(evidence.Receptions, a, b, rules.ContinuityGap)
                    .Select(m => new Span(m.From + rules.HeardFor, m.To))
                    .Where(m => m.Length > 0)
                    .ToList();
                var (heldA, heldB) = (held(a), held(b));
                foreach (var whileHeard in Intersections(both, heard))
                {
                    // The grace is the stop of the holder that lets go first (a real 3.0.6 node's takes longer).
                    var (spanA, spanB) = (heldA.First(s => s.Contains(whileHeard.From)), heldB.First(s => s.Contains(whileHeard.From)));
                    double grace = rules.ResolutionFor(spanA.To <= spanB.To ? a : b);
                    if (whileHeard.Length <= grace)
                    {
                        continue;
                    }

                    var overlap = new Span(whileHeard.From + grace, whileHeard.To);
                    // The culprit: the holder that acquired against the resource exchange's messages, else the later.
                    double sinceA = spanA.From, sinceB = spanB.From;
                    var (culprit, why) = AcquisitionOrder.Culprit(evidence.Receptions, a, sinceA, b, sinceB, rules.Deadtime.TotalSeconds);
                    yield return new Violation(
                        "double-holder",
                        overlap.From,
                        $"{a}+{b}",
                        $"{name} held by {a} and {b} for {overlap.Length * 1000:F0} ms beyond the {grace * 1000:F0} ms grace once both had heard each other for {rules.HeardFor * 1000:F0} ms; culprit {why}",
                        culprit);
                }
            }
        }
    }

    /// <summary>Rule 2, for every VIP after every fault.</summary>
    public static IEnumerable<Violation> NoHolder(Evidence evidence, CheckRules rules)
    {
        foreach (string vip in evidence.Vips)
        {
            var held = evidence.Nodes.SelectMany(n => Holding(evidence.Addresses, n, vip, evidence.End)).ToList();
            foreach (var fault in evidence.Faults)
            {
                double due = Math.Min(fault.Heal + rules.HeldAfterHeal, fault.SettleEnd);
                var window = new Span(due, fault.SettleEnd);
                foreach (var gap in Gaps(held, new Span(fault.Begin - rules.Handover, fault.SettleEnd)))
                {
                    if (gap.Intersect(window) is null)
                    {
                        continue;
                    }

                    bool fromTheFault = gap.From < fault.Heal + rules.Deadtime.TotalSeconds;
                    if (fromTheFault || gap.Length > rules.Handover)
                    {
                        yield return new Violation(
                            "no-holder",
                            Math.Max(gap.From, due),
                            "-",
                            $"{vip} without a holder from {gap.From:F3} to {gap.To:F3} ({gap.Length * 1000:F0} ms), after {fault.Kind} #{fault.Index} healed at {fault.Heal:F3}",
                            GapCulprit(evidence, vip, gap, fault, rules));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The culprit of a VIP left without a holder. When another node ended the gap after being handed the group — the
    /// captured exchange says the releaser gave it up (standby, shutdown), or, in evidence captured without message
    /// contents, the fault itself was the hand-over (the releaser's standby or graceful stop, the successor's takeover) —
    /// or a pair's other node was handed it and had not taken it by the end of the quiet window, the releaser's part was
    /// done when its address went (the gap only counts beyond a whole handover) and the slow successor is the culprit: 3.0.6 running IPaddr2 once per VIP, for instance. Otherwise the node that let it go
    /// last (it took it, then gave it up without a successor), unless the nemesis took it from that node (a power-off,
    /// a stop, a deletion): then the cluster's.
    /// </summary>
    private static string GapCulprit(Evidence evidence, string vip, Span gap, AppliedFault fault, CheckRules rules)
    {
        var released = evidence.Addresses.LastOrDefault(a => a.Address == vip && !a.Added && a.At <= gap.From + 0.001);
        var successor = evidence.Addresses.FirstOrDefault(a => a.Address == vip && a.Added && Math.Abs(a.At - gap.To) <= 0.001);
        // The node handed the group: the one that ended the gap, or, when the gap is still open at the end of the quiet
        // window (or the releaser itself ended it), a pair's other node.
        string? handed = successor is not null && successor.Node != released?.Node ? successor.Node
            : evidence.Nodes.Count == 2 && released is not null ? evidence.Nodes.First(n => n != released.Node) : null;
        if (released is not null && handed is not null && HandedTo(evidence, handed, released.Node, gap.To, fault, rules))
        {
            return handed;
        }

        bool takenByUs = fault.Kind is FaultKind.Kill or FaultKind.Graceful or FaultKind.VipDelete && released?.Node == fault.Node;
        return released is null || takenByUs ? "-" : released.Node;
    }

    /// <summary>Whether <paramref name="successor"/> had been handed the group by <paramref name="releaser"/> when it acquired.</summary>
    private static bool HandedTo(Evidence evidence, string successor, string releaser, double at, AppliedFault fault, CheckRules rules)
    {
        if (evidence.Receptions.Any(r => r.Message is not null))
        {
            // Slow only if the word that handed it over came longer than a handover before the acquisition: a successor
            // handed the group at the end of a gap someone else left (3.0.6 giving it back 30 s after its own start
            // failed, seed 20261223) took it at once.
            var judged = AcquisitionOrder.Judge(evidence.Receptions, successor, releaser, at, rules.Deadtime.TotalSeconds);
            return judged is { Verdict: AcquisitionVerdict.HandedOver, Because: { } word } && at - word.At > rules.Handover;
        }

        return (fault.Kind is FaultKind.Standby or FaultKind.Graceful && fault.Node == releaser)
            || (fault.Kind is FaultKind.Takeover && fault.Node == successor);
    }

    /// <summary>The stretches of <paramref name="window"/> that no span covers.</summary>
    public static List<Span> Gaps(IEnumerable<Span> covered, Span window)
    {
        var gaps = new List<Span>();
        double cursor = window.From;
        foreach (var span in covered.Where(s => s.To > window.From && s.From < window.To).OrderBy(s => s.From))
        {
            if (span.From > cursor)
            {
                gaps.Add(new Span(cursor, span.From));
            }

            cursor = Math.Max(cursor, span.To);
        }

        if (cursor < window.To)
        {
            gaps.Add(new Span(cursor, window.To));
        }

        return gaps;
    }

    /// <summary>Rule 3: a pid that vanished or changed outside the node's kills and stops.</summary>
    public static IEnumerable<Violation> Died(Evidence evidence, CheckRules rules)
    {
        foreach (string node in evidence.Nodes)
        {
            var allowed = evidence.Faults.Where(f => f.Node == node && f.Kind is FaultKind.Kill or FaultKind.Graceful)
                .Select(f => new Span(f.Begin - 1, f.Heal + rules.RestartAllowance.TotalSeconds))
                .ToList();
            int? last = null;
            foreach (var sample in evidence.Pids.Where(p => p.Node == node).OrderBy(p => p.At))
            {
                if (last is { } pid && sample.Pid != pid && !allowed.Any(a => a.Contains(sample.At)))
                {
                    yield return new Violation(
                        "died",
                        sample.At,
                        node,
                        sample.Pid is { } next ? $"daemon pid {pid} replaced by {next} without a kill or stop" : $"daemon pid {pid} gone without a kill or stop",
                        node);
                }

                last = sample.Pid;
            }
        }
    }

    /// <summary>Rule 4: a start called on a node where the counting resource already runs.</summary>
    public static IEnumerable<Violation> StartedTwice(Evidence evidence)
    {
        foreach (string node in evidence.Nodes)
        {
            bool running = false;
            foreach (var call in evidence.Script.Where(c => c.Node == node).OrderBy(c => c.At))
            {
                switch (call.Action)
                {
                    case "start" when running:
                        yield return new Violation("started-twice", call.At, node, $"{CountingResource} start called while it ran on {node}", node);
                        break;
                    case "started":
                        running = true;
                        break;
                    case "stopped" or "reset":
                        running = false;
                        break;
                }
            }
        }
    }

    /// <summary>Rule 5: every pair heard each other again by the end of each fault's quiet window.</summary>
    public static IEnumerable<Violation> NotHeard(Evidence evidence, CheckRules rules)
    {
        foreach (var fault in evidence.Faults)
        {
            // A moment just before the next fault, when the last datagrams of the quiet have arrived.
            double at = fault.SettleEnd - rules.Keepalive.TotalSeconds;
            if (at <= fault.Heal + rules.HeldAfterHeal)
            {
                continue;
            }

            foreach (var (a, b) in Pairs(evidence.Nodes))
            {
                if (!Mutual(evidence.Receptions, a, b, rules.ContinuityGap).Any(m => m.Contains(at)))
                {
                    // The culprit: the one gone silent (heard by nobody), when only one of them is.
                    bool aHeard = Heard(evidence.Receptions, b, a, rules.ContinuityGap).Any(h => h.Contains(at));
                    bool bHeard = Heard(evidence.Receptions, a, b, rules.ContinuityGap).Any(h => h.Contains(at));
                    string culprit = aHeard == bHeard ? "-" : aHeard ? b : a;
                    yield return new Violation("not-heard", at, $"{a}+{b}", $"{a} and {b} had not heard each other again at the end of the quiet after {fault.Kind} #{fault.Index}", culprit);
                }
            }
        }
    }

    /// <summary>
    /// The client's outage attributed to each fault: the longest run of failed connections to any VIP that began in the
    /// fault's window (begin to the end of its quiet), from the last answer before it to the first after (0: none).
    /// </summary>
    public static Dictionary<int, double> Outages(Evidence evidence) =>
        Outages(evidence.Faults, evidence.Vips.SelectMany(vip => ProbeGaps(evidence.Probes.Where(p => p.Vip == vip), evidence.End)));

    /// <summary>The same from the client's gaps of every VIP (a run's dump keeps the gaps, not the attempts).</summary>
    public static Dictionary<int, double> Outages(IReadOnlyList<AppliedFault> faults, IEnumerable<Span> gaps)
    {
        var outages = faults.ToDictionary(f => f.Index, _ => 0.0);
        foreach (var gap in gaps)
        {
            if (faults.FirstOrDefault(f => gap.From >= f.Begin && gap.From < f.SettleEnd) is { } fault)
            {
                outages[fault.Index] = Math.Max(outages[fault.Index], gap.Length);
            }
        }

        return outages;
    }

    /// <summary>Runs of failed attempts, each from the last answered attempt before it to the first answered after.</summary>
    public static List<Span> ProbeGaps(IEnumerable<ProbeAttempt> attempts, double end)
    {
        var gaps = new List<Span>();
        double? lastAnswer = null;
        double? failingSince = null;
        foreach (var attempt in attempts.OrderBy(a => a.At))
        {
            if (attempt.AnsweredBy is null)
            {
                failingSince ??= lastAnswer ?? attempt.At;
                continue;
            }

            if (failingSince is { } since)
            {
                gaps.Add(new Span(since, attempt.At));
                failingSince = null;
            }

            lastAnswer = attempt.At;
        }

        if (failingSince is { } open)
        {
            gaps.Add(new Span(open, end));
        }

        return gaps;
    }

    private static IEnumerable<(string A, string B)> Pairs(IReadOnlyList<string> nodes)
    {
        for (int i = 0; i < nodes.Count; i++)
        {
            for (int j = i + 1; j < nodes.Count; j++)
            {
                yield return (nodes[i], nodes[j]);
            }
        }
    }
}
