using System.Text;
using Heartbeat.Protocol.Config;
using Heartbeat.Protocol.Membership;

namespace Heartbeat.Protocol.Tests.Config;

/// <summary>The membership layer's options have no defaults of their own: unset, they are ha.cf's.</summary>
public sealed class MembershipOptionsTests
{
    [Fact]
    public void Options_built_by_hand_default_as_an_ha_cf_without_the_directives()
    {
        var parsed = HaCfParser.Parse(Encoding.ASCII.GetBytes("bcast eth0\nnode a b\n"), "ha.cf");
        var fromConfig = MembershipOptions.FromConfig(parsed.Value!);
        var byHand = new MembershipOptions { Nodes = ["a", "b"] };

        Assert.Equal(HaCf.Defaults.Keepalive, parsed.Value!.Keepalive);
        Assert.Equal(
            (fromConfig.Keepalive, fromConfig.Deadtime, fromConfig.Warntime, fromConfig.Initdead, fromConfig.MaxRexmitDelay, fromConfig.MessageTtl, fromConfig.Wire, fromConfig.StallThreshold),
            (byHand.Keepalive, byHand.Deadtime, byHand.Warntime, byHand.Initdead, byHand.MaxRexmitDelay, byHand.MessageTtl, byHand.Wire, byHand.StallThreshold));
    }
}
