using System.Text;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Tests.Config;

public class ReloadPlanTests
{
    private const string HaCf = "keepalive 2\ndeadtime 10\nbcast ens18\nnode server1\nnode server2\n";

    private static ConfigFiles Files(string haCf, string keys = "auth 1\n1 md5 secret\n", string resources = "server1 10.10.10.1\n") =>
        new("/etc/ha.d", Encoding.ASCII.GetBytes(haCf), Encoding.ASCII.GetBytes(keys), UnixFileMode.UserRead | UnixFileMode.UserWrite, Encoding.ASCII.GetBytes(resources));

    [Fact]
    public void Comments_and_spacing_are_no_change()
    {
        var plan = ReloadPlan.Compare(Files(HaCf), Files("# timers\nkeepalive   2\t# seconds\ndeadtime 10\n\nbcast ens18\nnode server1\nnode server2\n"));
        Assert.True(plan.NothingChanged);
        Assert.True(plan.CanApply);
    }

    [Fact]
    public void Timers_and_keys_apply_in_place()
    {
        var plan = ReloadPlan.Compare(Files(HaCf), Files(HaCf.Replace("keepalive 2", "keepalive 500ms", StringComparison.Ordinal), keys: "auth 2\n2 sha1 other\n"));
        Assert.Equal(["ha.cf keepalive: 2 → 500ms", "authkeys: keys changed"], plan.Changes);
        Assert.True(plan.CanApply);
    }

    [Fact]
    public void Media_nodes_and_resources_need_a_restart_and_are_named()
    {
        var plan = ReloadPlan.Compare(Files(HaCf), Files(HaCf.Replace("bcast ens18", "mcast ens18 225.0.0.1 694 1 0", StringComparison.Ordinal), resources: "server2 10.10.10.1\n"));
        Assert.False(plan.CanApply);
        Assert.Equal(["ha.cf bcast: ens18 → (unset)", "ha.cf mcast: (unset) → ens18 225.0.0.1 694 1 0", "haresources: resource groups changed"], plan.NeedRestart);
    }

    [Fact]
    public void The_live_directives_are_the_rows_the_directive_table_marks_live()
    {
        var marked = HaCfDirectives.All.Where(d => d.Live).Select(d => d.Name).ToList();
        Assert.Equal(["deadtime", "initdead", "keepalive", "warntime"], marked.Order(StringComparer.Ordinal));
        Assert.True(ReloadPlan.LiveDirectives.SetEquals(marked));
    }

    [Fact]
    public void A_change_of_a_row_applies_in_place_exactly_when_the_table_marks_it_live()
    {
        foreach (var directive in HaCfDirectives.All)
        {
            // The value need not be valid: the plan compares the files' text, before any parsing.
            var plan = ReloadPlan.Compare(Files(HaCf), Files(HaCf + directive.Name + " 7\n"));
            Assert.False(plan.NothingChanged, directive.Name);
            Assert.Equal(directive.Live, plan.CanApply);
        }
    }
}
