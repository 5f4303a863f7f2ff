using System.Collections.Immutable;

namespace Heartbeat.Protocol.Export;

// The Pacemaker/Corosync configuration an ha.cf + haresources pair converts to, independent of how it is written
// (CIB XML, pcs or crmsh script). Every element carries the comments that say what it came from and what has no
// exact equivalent: the writers print them, so nothing is dropped silently.

/// <summary>One name=value pair: an instance attribute, a meta attribute, a cluster property or a resource default.</summary>
public sealed record NameValue(string Name, string Value, string? Comment = null);

/// <summary>A recurring monitor; <see cref="Role"/> is null, or Promoted/Unpromoted for a promotable clone's instances.</summary>
public sealed record MonitorOp(string Interval, string? Role = null);

/// <summary>A Pacemaker primitive: <c>class[:provider]:type</c> and its instance attributes.</summary>
public sealed record PrimitiveResource(
    string Id,
    string Class,
    string? Provider,
    string Type,
    ImmutableArray<NameValue> Parameters,
    ImmutableArray<MonitorOp> Monitors,
    ImmutableArray<string> Comments)
{
    /// <summary>The agent as pcs and crmsh write it: <c>ocf:heartbeat:IPaddr2</c>, <c>lsb:apache2</c>, <c>stonith:fence_ipmilan</c>.</summary>
    public string Agent => Provider is null ? $"{Class}:{Type}" : $"{Class}:{Provider}:{Type}";
}

/// <summary>A group: one haresources line, its members started left to right and stopped right to left, as v1 did.</summary>
public sealed record ResourceGroup(string Id, ImmutableArray<PrimitiveResource> Members, ImmutableArray<string> Comments);

/// <summary>A clone (the ping clone) or a promotable clone (a DRBD resource).</summary>
public sealed record CloneResource(string Id, PrimitiveResource Primitive, bool Promotable, ImmutableArray<NameValue> Meta, ImmutableArray<string> Comments);

/// <summary>A constraint between resources and nodes.</summary>
public abstract record Constraint(string Id, ImmutableArray<string> Comments);

/// <summary><c>rsc_location</c> with a node and a score: the home-node preference, a fence device avoiding its target.</summary>
public sealed record LocationPreference(string Id, string Resource, string Node, string Score, ImmutableArray<string> Comments)
    : Constraint(Id, Comments);

/// <summary>One test of a rule: <c>attribute operation [value]</c> (eq, lte, defined, not_defined).</summary>
public sealed record RuleTest(string Attribute, string Operation, string? Value = null);

/// <summary><c>rsc_location</c> with one rule: the tests joined by or (<see cref="AnyOf"/>) or and.</summary>
public sealed record LocationRule(string Id, string Resource, string? Role, string Score, ImmutableArray<RuleTest> Tests, bool AnyOf, ImmutableArray<string> Comments)
    : Constraint(Id, Comments);

/// <summary><c>rsc_colocation</c>: <see cref="Resource"/> runs where <see cref="WithResource"/> (in <see cref="WithRole"/>) runs.</summary>
public sealed record Colocation(string Id, string Resource, string WithResource, string? WithRole, string Score, ImmutableArray<string> Comments)
    : Constraint(Id, Comments);

/// <summary><c>rsc_order</c>, mandatory: <see cref="Then"/>'s action waits for <see cref="First"/>'s.</summary>
public sealed record Ordering(string Id, string First, string FirstAction, string Then, string ThenAction, ImmutableArray<string> Comments)
    : Constraint(Id, Comments);

/// <summary>A cluster node with the id corosync gives it (nodeid in corosync.conf, id in the CIB).</summary>
public sealed record ClusterMember(int Id, string Name);

/// <summary>The Pacemaker half of an export: what the CIB's configuration section holds.</summary>
public sealed record PacemakerConfig(
    ImmutableArray<string> Header,
    ImmutableArray<ClusterMember> Nodes,
    ImmutableArray<NameValue> Properties,
    ImmutableArray<NameValue> ResourceDefaults,
    ImmutableArray<PrimitiveResource> FenceDevices,
    ImmutableArray<CloneResource> Clones,
    ImmutableArray<ResourceGroup> Groups,
    ImmutableArray<Constraint> Constraints);

/// <summary>One knet link: the heartbeat media of one interface.</summary>
public sealed record CorosyncLink(int Number, string Interface, ImmutableArray<string> Comments);

/// <summary>A node of corosync.conf's nodelist: its address on each link (<c>ringN_addr</c>), in link order.</summary>
public sealed record CorosyncNode(int Id, string Name, ImmutableArray<string> Addresses);

/// <summary>The Corosync half of an export: corosync.conf.</summary>
public sealed record CorosyncConfig(
    ImmutableArray<string> Header,
    string ClusterName,
    int TokenMilliseconds,
    ImmutableArray<string> TokenComments,
    ImmutableArray<CorosyncLink> Links,
    ImmutableArray<CorosyncNode> Nodes,
    bool TwoNode,
    bool Crypto,
    ImmutableArray<string> CryptoComments,
    string? SyslogFacility);

/// <summary>Both halves of an export.</summary>
public sealed record ClusterExport(PacemakerConfig Pacemaker, CorosyncConfig Corosync);

/// <summary>The three forms of the Pacemaker half.</summary>
public enum ExportFormat
{
    /// <summary>A CIB (Pacemaker 2 schema) for <c>cibadmin --replace --xml-file</c>.</summary>
    Cib,

    /// <summary>A shell script of <c>pcs</c> commands.</summary>
    Pcs,

    /// <summary>A <c>crm configure load update</c> script.</summary>
    Crmsh,
}
