using System.Collections.Immutable;
using System.Globalization;
using Heartbeat.Protocol.Auth;
using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Export;

/// <summary>
/// ha.cf + haresources (+ authkeys, only to say what becomes of it) → the equivalent Pacemaker and Corosync
/// configuration. Pure: the caller reads the files. The mapping, and why, is in the comments the output carries.
/// </summary>
public static class PacemakerExporter
{
    /// <summary>How strongly a group prefers its haresources home node; above 0 so it goes home, far below INFINITY so it still fails over.</summary>
    public const string HomeScore = "100";

    /// <param name="files">The config directory's three files.</param>
    /// <param name="nodeAddresses">Each node's address on each knet link, in link order (from <c>--node-address</c>); null uses the node names on one link.</param>
    /// <returns>The export, or null and the errors (config errors, and file:line errors for what cannot be converted).</returns>
    public static ParseResult<ClusterExport> Convert(ConfigFiles files, IReadOnlyDictionary<string, ImmutableArray<string>>? nodeAddresses = null)
    {
        var check = ClusterConfigLoader.Load(files, host: null);
        if (check.Config is not { } config)
        {
            // Only the errors: check-config's warnings are about running HeartbeatNet, not about the export.
            return new ParseResult<ClusterExport>(null, [.. check.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)]);
        }

        var haCfDiagnostics = new DiagnosticBag(files.HaCfPath);
        var resourceDiagnostics = new DiagnosticBag(files.HaResourcesPath);
        var extras = HaCfExtras.Read(files.HaCf);
        var pacemaker = new Builder(config, extras, files, resourceDiagnostics).Build();
        var corosync = CorosyncExporter.Convert(config, extras, files, nodeAddresses, haCfDiagnostics);
        var diagnostics = haCfDiagnostics.Items.AddRange(resourceDiagnostics.Items);
        bool failed = diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        return new ParseResult<ClusterExport>(failed ? null : new ClusterExport(pacemaker, corosync), diagnostics);
    }

    /// <summary>The header every output starts with: where it came from and that no secret is in it.</summary>
    internal static ImmutableArray<string> Header(ConfigFiles files, AuthKeys keys, string what) =>
    [
        $"{what}, converted by 'hbctl export' from {files.HaCfPath} and {files.HaResourcesPath} (Heartbeat 3.0.6 v1, haresources).",
        $"{files.AuthKeysPath} (key {keys.ActiveIndex}, {AuthKey.MethodName(keys.Active.Method)}) is not exported: its secret stays in that file, and Corosync authenticates with its own key (see corosync.conf).",
        "Every setting without an exact Pacemaker/Corosync equivalent is named in a comment marked NOT EQUIVALENT or 'no equivalent'.",
    ];

    private sealed class Builder(ClusterConfig config, ImmutableArray<HaCfLine> extras, ConfigFiles files, DiagnosticBag diagnostics)
    {
        private readonly HaCf _haCf = config.HaCf;
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private readonly List<ResourceGroup> _groups = [];
        private readonly List<CloneResource> _clones = [];
        private readonly List<Constraint> _constraints = [];
        private readonly List<PrimitiveResource> _fencing = [];
        private readonly Dictionary<string, string> _drbdClones = new(StringComparer.Ordinal);

        public PacemakerConfig Build()
        {
            var header = ImmutableArray.CreateBuilder<string>();
            header.AddRange(Header(files, config.AuthKeys, "Pacemaker configuration"));
            header.Add("Every primitive gets a monitor operation: 3.0.6 never checked a running resource (it ran status only before a start); remove the monitors to keep that.");
            header.Add("Schema pacemaker-3.0 (Pacemaker 2.0 and later); promotable clone roles are written Master/Slave there, Promoted/Unpromoted in the pcs and crmsh scripts (pcs 0.11, crmsh 4.4 and later).");
            header.AddRange(NotConverted());

            string? ping = PingClone();
            foreach (var group in config.Resources.Groups)
            {
                AddGroup(group, ping);
            }

            // Before the lists are copied: converting stonith_host adds fence devices and their constraints.
            var properties = Properties();
            return new PacemakerConfig(
                header.ToImmutable(),
                [.. _haCf.Nodes.Select((n, i) => new ClusterMember(i + 1, n.Name))],
                properties,
                [StickinessDefault()],
                [.. _fencing],
                [.. _clones],
                [.. _groups],
                [.. _constraints]);
        }

        private void AddGroup(ResourceGroupSpec spec, string? pingClone)
        {
            var members = ImmutableArray.CreateBuilder<PrimitiveResource>();
            var drbd = new List<string>();
            foreach (var resource in spec.Resources)
            {
                if (resource.Script == "drbddisk")
                {
                    if (resource.Arguments.Length != 1)
                    {
                        diagnostics.Error(spec.Line, $"'{resource.Text}': drbddisk {(resource.Arguments.IsEmpty ? "without a resource name means every DRBD resource" : "takes one resource name")}; ocf:linbit:drbd manages one named resource", "write drbddisk::RESOURCE, one per DRBD resource");
                        continue;
                    }

                    drbd.Add(DrbdClone(resource.Arguments[0], spec.Node));
                    continue;
                }

                if (ResourceAgentMap.Map(resource, spec.Line, diagnostics) is { } primitive)
                {
                    members.Add(primitive with { Id = UniqueId(primitive.Id) });
                }
            }

            if (members.Count == 0)
            {
                // A line of drbddisk only: the clone and its promotion preference are the whole group.
                return;
            }

            string id = UniqueId("grp_" + members[0].Id);
            var comments = ImmutableArray.Create($"haresources line {spec.Line}: {spec.Node} {string.Join(' ', spec.Resources.Select(r => r.Text))}");
            _groups.Add(new ResourceGroup(id, members.ToImmutable(), comments));
            _constraints.Add(new LocationPreference(UniqueId(id + "-home"), id, spec.Node, HomeScore, [$"{spec.Node} is the group's home node (first word of haresources line {spec.Line})"]));
            foreach (string clone in drbd)
            {
                _constraints.Add(new Colocation(UniqueId($"{id}-with-{clone}"), id, clone, "Promoted", "INFINITY", ["the group runs where DRBD is primary, as drbddisk made it primary before the rest of the group started"]));
                _constraints.Add(new Ordering(UniqueId($"{id}-after-{clone}"), clone, "promote", id, "start", ["NOT EQUIVALENT in one detail: the whole group waits for the promotion, where 3.0.6 started the resources before drbddisk first"]));
            }

            if (pingClone is not null)
            {
                _constraints.Add(new LocationRule(
                    UniqueId(id + "-connected"),
                    id,
                    null,
                    "-INFINITY",
                    [new RuleTest("pingd", "not_defined"), new RuleTest("pingd", "lte", "0")],
                    AnyOf: true,
                    ["never on a node that reaches none of the ping nodes: what ipfail did for v1 clusters (3.0.6 without ipfail only reported ping nodes)", "NOT EQUIVALENT: when every node loses the ping nodes the group stops, where ipfail left it running"]));
            }
        }

        private string DrbdClone(string resource, string home)
        {
            if (_drbdClones.TryGetValue(resource, out string? existing))
            {
                return existing;
            }

            string primitiveId = UniqueId(ResourceAgentMap.Id("drbd_" + resource));
            string cloneId = UniqueId(primitiveId + "-clone");
            var primitive = new PrimitiveResource(
                primitiveId,
                "ocf",
                "linbit",
                "drbd",
                [new NameValue("drbd_resource", resource)],
                [new MonitorOp("29s", "Promoted"), new MonitorOp("31s", "Unpromoted")],
                [$"drbddisk::{resource}: DRBD's own agent (drbd-utils) as a promotable clone; the primary is the promoted instance, as drbddisk made it with 'drbdadm primary'"]);
            _clones.Add(new CloneResource(
                cloneId,
                primitive,
                Promotable: true,
                [new("promoted-max", "1"), new("promoted-node-max", "1"), new("clone-max", "2"), new("clone-node-max", "1"), new("notify", "true")],
                ["both nodes run DRBD (secondary) all the time: 3.0.6 left it to the init script; stop drbd.service from starting at boot"]));
            _constraints.Add(new LocationRule(
                UniqueId(cloneId + "-home"),
                cloneId,
                "Promoted",
                HomeScore,
                [new RuleTest("#uname", "eq", home)],
                AnyOf: false,
                [$"promote DRBD on the home node {home} of the first group that uses it; the agent adds its own preference for up-to-date data"]));
            _drbdClones[resource] = cloneId;
            return cloneId;
        }

        private string? PingClone()
        {
            var hosts = HaCfExtras.PingHosts(extras);
            if (hosts.IsEmpty)
            {
                return null;
            }

            var lines = extras.Where(e => e.Directive is "ping" or "ping_group").Select(e => $"ha.cf:{e.Line} '{e.Text}'");
            var comments = ImmutableArray.CreateBuilder<string>();
            comments.Add($"ping nodes: {string.Join(", ", lines)}; pingd = 1000 × the number of hosts answering");
            if (extras.Any(e => e.Directive == "ping_group"))
            {
                comments.Add("NOT EQUIVALENT: a ping_group counted as one node, up while any member answered; here each member counts on its own");
            }

            if (extras.FirstOrDefault(e => e.Directive == "deadping") is { } deadping)
            {
                comments.Add($"deadping (ha.cf:{deadping.Line}) has no equivalent: the agent's dampen (5s), attempts and timeout decide when a host counts as lost");
            }

            var primitive = new PrimitiveResource(
                UniqueId("ping"),
                "ocf",
                "pacemaker",
                "ping",
                [new NameValue("host_list", string.Join(' ', hosts)), new NameValue("multiplier", "1000")],
                [new MonitorOp("10s")],
                comments.ToImmutable());
            string id = UniqueId("ping-clone");
            _clones.Add(new CloneResource(id, primitive, Promotable: false, [], ["on every node, so each node's pingd attribute says what it reaches"]));
            return id;
        }

        private ImmutableArray<NameValue> Properties()
        {
            var properties = ImmutableArray.CreateBuilder<NameValue>();
            var stonithHosts = extras.Where(e => e.Directive == "stonith_host").ToList();
            foreach (var line in stonithHosts)
            {
                if (FenceAgentMap.Map(line, out string? target) is { } device)
                {
                    var unique = device with { Id = UniqueId(device.Id) };
                    _fencing.Add(unique);
                    if (target is not null)
                    {
                        _constraints.Add(new LocationPreference(UniqueId($"{unique.Id}-avoids-{target}"), unique.Id, target, "-INFINITY", ["a node never runs the device that resets it"]));
                    }
                }
            }

            var unconverted = stonithHosts.Where(l => FenceAgentMap.Map(l, out _) is null).Select(l => $"ha.cf:{l.Line} '{(l.Words.Length > 1 ? $"stonith_host {l.Words[0]} {l.Words[1]} …" : l.Text)}'")
                .Concat(extras.Where(e => e.Directive == "stonith").Select(l => $"ha.cf:{l.Line} 'stonith {string.Join(' ', l.Words)}' (its config file is not read)"))
                .ToList();
            string unconvertedText = unconverted.Count == 0 ? string.Empty : $"; NOT CONVERTED (no known fence agent, or a test plugin): {string.Join(", ", unconverted)}";
            properties.Add(_fencing.Count > 0
                ? new NameValue("stonith-enabled", "true", $"fencing from stonith_host, as 3.0.6 reset a dead node before taking over{unconvertedText}")
                : new NameValue("stonith-enabled", "false", $"FENCING IS OFF: ha.cf configures no convertible STONITH device{unconvertedText}. Heartbeat v1 took over without fencing too; Pacemaker refuses to start resources without fencing unless this is false. A split brain then runs a group on both nodes: add a fence device (pcs stonith create …) and set this to true"));

            properties.Add(_haCf.Nodes.Length == 2
                ? new NameValue("no-quorum-policy", "stop", "corosync's two_node: 1 keeps quorum when one of the two nodes dies, so one failure never stops the survivor (v1 had no quorum at all); 'stop' only applies while a lone node waits for its peer after a cold start (wait_for_all)")
                : new NameValue("no-quorum-policy", "stop", "NOT EQUIVALENT: v1 had no quorum and kept running on any surviving node; Pacemaker stops resources in a partition without a majority"));
            return properties.ToImmutable();
        }

        private NameValue StickinessDefault() => _haCf.AutoFailback switch
        {
            AutoFailback.Off => new NameValue("resource-stickiness", "INFINITY", "auto_failback off: a group stays where it runs until that node fails or is put in standby, never moving back to its home node on its own"),
            AutoFailback.On => new NameValue("resource-stickiness", "0", "auto_failback on: a group moves back to its home node (score " + HomeScore + ") as soon as it returns"),
            _ => new NameValue("resource-stickiness", "0", "auto_failback legacy (3.0.6's default): the returning home node asks for its groups back (ip-request), so they fail back as with auto_failback on"),
        };

        private IEnumerable<string> NotConverted()
        {
            if (_haCf.ExplicitDirectives.Contains("warntime"))
            {
                yield return $"warntime {Seconds(_haCf.Warntime)} has no equivalent: corosync logs a late token only when it is lost.";
            }

            if (_haCf.Watchdog is { } watchdog)
            {
                yield return $"watchdog {watchdog} has no direct equivalent: use sbd with a watchdog device for self-fencing.";
            }

            foreach (var line in extras.Where(e => e.Directive is "respawn" or "failfast"))
            {
                bool ipfail = line.Words.Length > 1 && line.Words[1].EndsWith("/ipfail", StringComparison.Ordinal);
                yield return ipfail
                    ? $"ha.cf:{line.Line} '{line.Text}': ipfail is replaced by the ping clone and its location rules."
                    : $"ha.cf:{line.Line} '{line.Text}' is not converted: run the command as its own systemd service or an ocf:heartbeat:anything resource.";
            }

            foreach (var line in extras.Where(e => e.Directive is "apiauth" or "quorum_server"))
            {
                yield return $"ha.cf:{line.Line} '{line.Text}' has no equivalent (Pacemaker's access control is ACLs and the haclient group).";
            }
        }

        private string UniqueId(string proposal)
        {
            string id = proposal;
            for (int n = 2; !_ids.Add(id); n++)
            {
                id = $"{proposal}-{n}";
            }

            return id;
        }
    }

    internal static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
