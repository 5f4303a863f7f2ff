namespace Heartbeat.Integration.Tests.Support;

/// <summary>The public side of a lab: each node's second link to a gateway namespace that answers ping.</summary>
public sealed partial class Lab
{
    /// <summary>The gateway namespace (LAB-gw) on the second network with these addresses (IP/PREFIX).</summary>
    public void Gateway(params string[] addresses) => Script(["gateway", Name, .. addresses]);

    /// <summary>A node's public link (second network, bridge br1) named <paramref name="iface"/>.</summary>
    public void Public(LabNode node, string iface, string address) => Second(node, iface, address);

    /// <summary>Cuts or restores only these nodes' public links (in one go); the heartbeat link stays.</summary>
    public void Uplink(bool up, params LabNode[] nodes) => Script(["uplink", Name, up ? "up" : "down", .. nodes.Select(n => n.Name)]);

    /// <summary>Adds or removes one of the gateway's addresses.</summary>
    public void GatewayAddress(string address, bool present) => Script("gwaddr", Name, address, present ? "add" : "del");

    /// <summary>A command in the gateway namespace (the public side's client).</summary>
    public string InGateway(params string[] command) => InNetns($"{Name}-gw", command);

    /// <summary>Whether the node's public link (pub0) carries the address.</summary>
    public bool HoldsPublic(LabNode node, string address) => HasAddress(node, address, "pub0");

    /// <summary>Whether the public side reaches <paramref name="address"/> (one ping, 1 s at most).</summary>
    public bool GatewayReaches(string address)
    {
        var (code, _, _) = Processes.Run(["ip", "netns", "exec", $"{Name}-gw", "ping", "-c", "1", "-W", "1", address], TimeSpan.FromSeconds(5));
        return code == 0;
    }
}
