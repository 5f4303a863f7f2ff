namespace Heartbeat.Protocol.Resources;

/// <summary>The resource state of a node as 3.0.6's nice_failback code numbers it ("STATE a => b" in its debug log).</summary>
public enum PlannerState
{
    Init = 0,
    Starting = 1,
    BothStarting = 2,
    ResourcesReceived = 3,
    Stable = 4,
    ShuttingDown = 5,
}

/// <summary>Which class of groups a node holds: local (its own haresources lines), foreign (the other node's), both or none.</summary>
[Flags]
public enum HoldSet
{
    None = 0,
    Local = 1,
    Foreign = 2,
    All = Local | Foreign,
}
