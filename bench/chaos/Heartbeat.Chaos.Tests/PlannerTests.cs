namespace Heartbeat.Chaos.Tests;

public sealed class PlannerTests
{
    [Fact]
    public void The_same_seed_plans_the_same_faults()
    {
        var first = Planner.Plan(4242, 12, null, Timers.Campaign);
        var again = Planner.Plan(4242, 12, null, Timers.Campaign);

        Assert.Equal(Describe(first), Describe(again));
        Assert.NotEqual(Describe(first), Describe(Planner.Plan(4243, 12, null, Timers.Campaign)));
    }

    [Fact]
    public void Without_a_pairing_the_runs_alternate_and_each_fits_its_length()
    {
        var runs = Planner.Plan(7, 13, null, Timers.Campaign);

        Assert.Equal([Pairing.OursOurs, Pairing.OursReal, Pairing.Three, Pairing.OursOurs], runs.Select(r => r.Pairing).Take(4));
        Assert.All(runs, r => Assert.True(r.Planned <= Planner.RunLength - Planner.RunOverhead));
        Assert.All(runs, r => Assert.NotEmpty(r.Faults));
    }

    [Fact]
    public void Three_nodes_get_no_resource_faults_and_no_vips()
    {
        var runs = Planner.Plan(11, 30, Pairing.Three, Timers.Campaign);

        Assert.All(runs, r => Assert.Equal(0, r.VipCount));
        Assert.DoesNotContain(runs.SelectMany(r => r.Faults), f => f.Kind is FaultKind.Standby or FaultKind.Takeover or FaultKind.ScriptFail or FaultKind.ScriptHang or FaultKind.VipDelete);
        Assert.All(runs.SelectMany(r => r.Faults), f => Assert.InRange(f.Target, 0, 2));
    }

    [Fact]
    public void Stops_are_shorter_or_longer_than_deadtime_as_named()
    {
        var faults = Planner.Plan(99, 60, Pairing.OursOurs, Timers.Campaign).SelectMany(r => r.Faults).ToList();

        Assert.All(faults.Where(f => f.Kind == FaultKind.StopShort), f => Assert.True(f.Duration < Timers.Campaign.Deadtime));
        Assert.All(faults.Where(f => f.Kind == FaultKind.StopLong), f => Assert.True(f.Duration > Timers.Campaign.Deadtime));
        Assert.Equal(Enum.GetValues<FaultKind>().Length, faults.Select(f => f.Kind).Distinct().Count());
    }

    private static string Describe(IEnumerable<RunPlan> runs) =>
        string.Join('\n', runs.Select(r => $"{r.Pairing} {r.AutoFailback} {r.VipCount}: " + string.Join(", ", r.Faults.Select(f => $"{f.Kind}@{f.Target} {f.Duration.TotalMilliseconds}/{f.Settle.TotalMilliseconds}/{f.Parameter}"))));
}
