using Heartbeat.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Heartbeat.Integration.Tests;

/// <summary>Validate-then-apply reload: timers change in place, broken files and restart-only changes are refused.</summary>
public class ReloadTests(ITestOutputHelper output) : FailoverScenario(output)
{
    [Fact]
    public async Task A_timer_change_applies_in_place_and_a_broken_or_restart_only_change_keeps_the_running_config()
    {
        await using var lab = NewLab("reload", "on");
        var nodes = Declare(lab, Pairing.OursAndOurs);
        StartAndPlace(lab, nodes);
        var node = nodes[0];
        int pid = Lab.OursProcess(node)!.Id;
        string haCf = Path.Join(node.Directory, "etc", "ha.cf");
        string original = File.ReadAllText(haCf);

        // keepalive 200ms → 300ms: shown by --dry-run, then applied; nothing moves, nothing restarts.
        File.WriteAllText(haCf, original.Replace("keepalive 200ms", "keepalive 300ms", StringComparison.Ordinal));
        var (dryCode, dry) = Lab.RunHbctl(node, "reload", "--dry-run");
        Output.WriteLine(dry);
        Assert.Equal(0, dryCode);
        Assert.Contains("ha.cf keepalive: 200ms → 300ms", dry, StringComparison.Ordinal);
        var (code, applied) = Lab.RunHbctl(node, "reload");
        Assert.Equal(0, code);
        Assert.Contains("applied in place", applied, StringComparison.Ordinal);
        Assert.True(Lab.WaitForLog(node, "Reload applied: ha.cf keepalive: 200ms → 300ms", TimeSpan.FromSeconds(5)), node.Log());

        // A broken file: refused with file:line, the node keeps running as it was.
        File.WriteAllText(haCf, original + "nosuchdirective 1\n");
        var (badCode, bad) = Lab.RunHbctl(node, "reload");
        Output.WriteLine(bad);
        Assert.Equal(1, badCode);
        Assert.Contains("ha.cf:", bad, StringComparison.Ordinal);
        Assert.Contains("nosuchdirective", bad, StringComparison.Ordinal);

        // A change that would move resources: refused and named.
        File.WriteAllText(haCf, original.Replace("keepalive 200ms", "keepalive 300ms", StringComparison.Ordinal));
        File.AppendAllText(Path.Join(node.Directory, "etc", "haresources"), $"server1 IPaddr2::10.10.10.21/24/ens18\n");
        var (moveCode, move) = Lab.RunHbctl(node, "reload");
        Assert.Equal(1, moveCode);
        Assert.Contains("haresources: resource groups changed", move, StringComparison.Ordinal);

        // SIGHUP (heartbeat -r) takes the same path and logs the outcome, although the lab starts the daemon with SIGHUP
        // ignored (as nohup would): the daemon takes it back.
        Lab.Signal(pid, "HUP");
        Assert.True(Lab.WaitForLog(node, "Reload: these changes need a restart", TimeSpan.FromSeconds(5)), node.Log());

        Assert.Equal(pid, Lab.OursProcess(node)!.Id);
        Assert.False(Lab.OursProcess(node)!.HasExited);
        Assert.True(Holds(lab, nodes[0], Vip1) && Holds(lab, nodes[1], Vip2) && !Holds(lab, nodes[1], Vip1));
        Assert.DoesNotContain("is dead", nodes[1].Log(), StringComparison.Ordinal);
    }
}
