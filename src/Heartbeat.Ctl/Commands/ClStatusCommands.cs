using System.CommandLine;
using System.Globalization;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// The <c>cl_status</c> verbs of Heartbeat 3.0.6, printing what it prints (behaviour.md §8) so scripts written against
/// it keep working: <c>hbctl hbstatus|listnodes|nodestatus|nodetype|listhblinks|hblinkstatus|rscstatus</c>, each with
/// <c>-m</c> for the human wording. Exit codes are cl_status's: 0 ok, 1 "normal failure" (dead node or link, not
/// running), 11 a bad node name, 13 an unknown link.
/// </summary>
public static class ClStatusCommands
{
    private const int NormalFailure = 1;
    private const int ParameterError = 11;
    private const int OtherError = 13;

    public static IEnumerable<Command> Create(TextWriter output, TextWriter error)
    {
        yield return Verb("hbstatus", "Whether heartbeat runs on this machine (cl_status hbstatus)", output, error, (status, parse, human, verbose) =>
        {
            if (status is null)
            {
                output.WriteLine(human ? "Heartbeat is stopped on this machine." : "Heartbeat is stopped on this machine.");
                return NormalFailure;
            }

            output.WriteLine("Heartbeat is running on this machine.");
            if (verbose)
            {
                output.WriteLine(human
                    ? $"Heartbeat version 3.0.6 (HeartbeatNet {status.Version}, node: {status.Uuid})\nResources controlled by \"haresources\"\nThe nodes are as follow:"
                    : $"version:\t3.0.6 (HeartbeatNet {status.Version}, node: {status.Uuid})\nmanaged by:\t\"haresources\"");
                foreach (string node in NodeOrder(status))
                {
                    output.WriteLine($"{node}\t{NodeStatus(status, node)}\t(nodetype: {NodeType(status, node)})");
                    if (human)
                    {
                        output.WriteLine("\tthis node has the following heartbeat links:");
                    }

                    foreach (var (link, up) in Links(status, node))
                    {
                        output.WriteLine($"\t{link}\t{(up ? "up" : "dead")}");
                    }
                }
            }

            return 0;
        }, verboseOption: true);

        yield return Verb("listnodes", "The cluster's nodes (cl_status listnodes)", output, error, (status, _, _, _) =>
        {
            foreach (string node in NodeOrder(status!))
            {
                output.WriteLine(node);
            }

            return 0;
        });

        var nodeArgument = () => new Argument<string>("node") { Description = "A node of ha.cf" };
        var node1 = nodeArgument();
        yield return Verb("nodestatus", "A node's status: active, up, init, dead (cl_status nodestatus)", output, error, (status, parse, human, _) =>
        {
            string node = parse.GetValue(node1)!;
            if (!Known(status!, node))
            {
                return UnknownNode(error);
            }

            string state = NodeStatus(status!, node);
            output.WriteLine(human ? $"The cluster node {node} is {state}" : state);
            return state == "dead" ? NormalFailure : 0;
        }, argument: node1);

        var node2 = nodeArgument();
        yield return Verb("nodetype", "A node's type: normal or ping (cl_status nodetype)", output, error, (status, parse, human, _) =>
        {
            string node = parse.GetValue(node2)!;
            if (!Known(status!, node))
            {
                return UnknownNode(error);
            }

            string type = NodeType(status!, node);
            output.WriteLine(human ? $"The node {node}'s type: {type}" : type);
            return 0;
        }, argument: node2);

        var node3 = nodeArgument();
        yield return Verb("listhblinks", "A node's heartbeat links (cl_status listhblinks)", output, error, (status, parse, _, verbose) =>
        {
            string node = parse.GetValue(node3)!;
            if (!Known(status!, node))
            {
                return UnknownNode(error);
            }

            foreach (var (link, up) in Links(status!, node))
            {
                output.WriteLine(verbose ? $"\t{link}\t{(up ? "up" : "dead")}" : $"\t{link}");
            }

            return 0;
        }, argument: node3, verboseOption: true);

        var node4 = nodeArgument();
        var linkArgument = new Argument<string>("link") { Description = "An interface of that node's media" };
        yield return Verb("hblinkstatus", "A heartbeat link's status: up or dead (cl_status hblinkstatus)", output, error, (status, parse, human, _) =>
        {
            string node = parse.GetValue(node4)!;
            string link = parse.GetValue(linkArgument)!;
            if (!Known(status!, node))
            {
                return UnknownNode(error);
            }

            var found = Links(status!, node).Where(l => l.Interface == link).ToList();
            if (found.Count == 0)
            {
                // 3.0.6's two cl_log lines (the reason is empty: its API has no error text for an unknown link).
                ClLog(error, "Cannot get heartbeat link status");
                ClLog(error, "REASON: ");
                return OtherError;
            }

            string state = found[0].Up ? "up" : "dead";
            output.WriteLine(human ? $"The node {node}'s heartbeat link {link} is {state}" : state);
            return found[0].Up ? 0 : NormalFailure;
        }, argument: node4, second: linkArgument);

        yield return Verb("rscstatus", "The class of groups this node holds: local, foreign, all, none, or transition (cl_status rscstatus)", output, error, (status, _, human, _) =>
        {
            // 3.0.6 prints "transition" while anything is unstable, and "none" always in legacy mode.
            string held = status!.AutoFailback == "legacy" ? "none" : status.InTransition ? "transition" : status.Holding;
            output.WriteLine(human
                ? held switch
                {
                    "transition" => "This node is in transition.",
                    "none" => "This node is holding none resources.",
                    _ => $"This node is holding {held} resources.",
                }
                : held);
            return 0;
        });
    }

    private static Command Verb(string name, string description, TextWriter output, TextWriter error,
        Func<StatusReport?, ParseResult, bool, bool, int> body, Argument<string>? argument = null, Argument<string>? second = null, bool verboseOption = false)
    {
        var runDir = StatusCommand.RunDirectoryOption();
        var human = new Option<bool>("-m") { Description = "Human-readable wording (cl_status -m)" };
        var verbose = new Option<bool>("-v") { Description = "Verbose (cl_status -v)" };
        var command = new Command(name, description) { runDir, human };
        if (verboseOption)
        {
            command.Options.Add(verbose);
        }

        if (argument is not null)
        {
            command.Arguments.Add(argument);
        }

        if (second is not null)
        {
            command.Arguments.Add(second);
        }

        command.SetAction(parse =>
        {
            var (response, problem) = ControlClient.Ask(parse.GetValue(runDir)!, new ControlRequest(ControlRequest.CurrentVersion, "status"));
            var status = response?.Status;
            if (status is null && name != "hbstatus")
            {
                error.WriteLine($"hbctl {name}: {problem ?? response?.Error}");
                return NormalFailure;
            }

            return body(status, parse, parse.GetValue(human), verboseOption && parse.GetValue(verbose));
        });
        return command;
    }

    /// <summary>cl_status lists nodes in the reverse of ha.cf's order (observed with 3.0.6; behaviour.md §11.9).</summary>
    /// <remarks>Ping nodes are in 3.0.6's node table too, where their ha.cf line put them (<see cref="StatusReport.NodeTable"/>).</remarks>
    private static IEnumerable<string> NodeOrder(StatusReport status) => (status.NodeTable ?? status.ConfiguredNodes).Reverse();

    private static bool Known(StatusReport status, string node) => (status.NodeTable ?? status.ConfiguredNodes).Contains(node, StringComparer.Ordinal);

    private static PingNodeReport? Ping(StatusReport status, string node) => status.PingNodes?.FirstOrDefault(p => p.Name == node);

    /// <summary>3.0.6's node types: normal, or ping for the pseudo nodes of ping, ping6 and ping_group.</summary>
    private static string NodeType(StatusReport status, string node) => Ping(status, node) is null ? "normal" : "ping";

    private static string NodeStatus(StatusReport status, string node) =>
        node == status.Node ? status.NodeStatus : Ping(status, node)?.Status ?? status.Peers.FirstOrDefault(p => p.Name == node)?.Status ?? "dead";

    /// <summary>A ping node has one link, named after it (3.0.6: "Link 10.0.0.254:10.0.0.254 up.").</summary>
    private static IEnumerable<(string Interface, bool Up)> Links(StatusReport status, string node) =>
        node == status.Node
            ? status.LocalInterfaces.Select(i => (i, true))
            : Ping(status, node) is { } ping ? [(ping.Name, ping.LinkUp)]
            : status.Peers.FirstOrDefault(p => p.Name == node)?.Links.Select(l => (l.Interface, l.Up)) ?? [];

    /// <summary>
    /// An error as 3.0.6's cl_status writes it: through cl_log to stderr, with a syslog-style stamp, the host's name and
    /// its pid ("Dec 07 12:38:46 server1 cl_status: [1434]: ERROR: …"). Scripts that match the text keep matching.
    /// </summary>
    private static void ClLog(TextWriter error, string message) =>
        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:MMM dd HH:mm:ss} {Environment.MachineName} cl_status: [{Environment.ProcessId}]: ERROR: {message}"));

    private static int UnknownNode(TextWriter error)
    {
        error.WriteLine("Error. May be due to incorrect node name");
        return ParameterError;
    }
}
