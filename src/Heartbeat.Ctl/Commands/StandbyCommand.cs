using System.CommandLine;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// <c>hbctl standby [all|local|foreign|failback]</c> (3.0.6's hb_standby: give groups to the peer) and
/// <c>hbctl takeover [all|local|foreign|failback]</c> (hb_takeover: ask the peer to give them to us). "local" means
/// this node's home groups, "foreign" the peer's; failback = foreign for standby, and all on the peer for takeover
/// (3.0.6's mapping, kept so scripts behave the same).
/// </summary>
public static class StandbyCommand
{
    public static Command Create(string verb, TextWriter output, TextWriter error)
    {
        var runDir = StatusCommand.RunDirectoryOption();
        var set = new Argument<string>("set")
        {
            Description = "all, local, foreign or failback (default all)",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "all",
        };
        set.AcceptOnlyFromAmong("all", "local", "foreign", "failback");
        string description = verb == "standby"
            ? "Give resource groups to the peer (hb_standby): all, local (this node's home groups), foreign (the peer's), failback (= foreign)"
            : "Take resource groups from the peer (hb_takeover): all, local (this node's home groups), foreign (the peer's), failback";
        var command = new Command(verb, description) { set, runDir };
        command.SetAction(parse => ControlClient.Perform(parse.GetValue(runDir)!, new ControlRequest(ControlRequest.CurrentVersion, verb, parse.GetValue(set)), output, error));
        return command;
    }
}
