namespace Heartbeat.Chaos.Tests;

/// <summary>A synthetic run for the checker: two nodes, one VIP, heartbeats every 200 ms where asked, times from 1000 s.</summary>
internal sealed class Timeline
{
    public const string Vip = "10.10.10.51";
    public const double T0 = 1000;

    public List<AddressChange> Addresses { get; } = [];

    public List<Reception> Receptions { get; } = [];

    public List<ProbeAttempt> Probes { get; } = [];

    public List<PidSample> Pids { get; } = [];

    public List<ScriptCall> Script { get; } = [];

    public List<AppliedFault> Faults { get; } = [];

    public static CheckRules Rules { get; } = CheckRules.For(Timers.Campaign, 1);

    /// <summary>Each node hears the other every keepalive over [from, to) (both directions).</summary>
    public Timeline Hearing(double from, double to, string a = "server1", string b = "server2")
    {
        for (double t = from; t < to; t += 0.2)
        {
            Receptions.Add(new Reception(T0 + t, a, b));
            Receptions.Add(new Reception(T0 + t + 0.01, b, a));
        }

        return this;
    }

    public Timeline Add(double at, string node, bool added = true)
    {
        Addresses.Add(new AddressChange(T0 + at, node, Vip, added));
        return this;
    }

    /// <summary>A resource-exchange message from <paramref name="sender"/>, received by the other node.</summary>
    public Timeline Says(double at, string sender, string type, string? hold = null, string? info = null)
    {
        Receptions.Add(new Reception(T0 + at, sender == "server1" ? "server2" : "server1", sender, new HbMessage(type, hold, info)));
        return this;
    }

    public Timeline Fault(FaultKind kind, string node, double begin, double heal, double settleEnd)
    {
        Faults.Add(new AppliedFault(Faults.Count + 1, kind, node, T0 + begin, T0 + heal, T0 + settleEnd, "synthetic"));
        return this;
    }

    public Timeline Pid(double at, string node, int? pid)
    {
        Pids.Add(new PidSample(T0 + at, node, pid));
        return this;
    }

    public Timeline Call(double at, string node, string action)
    {
        Script.Add(new ScriptCall(T0 + at, node, action));
        return this;
    }

    public Evidence Evidence(double end) => new(["server1", "server2"], [Vip], Addresses, Receptions, Probes, Pids, Script, Faults, T0, T0 + end);
}
