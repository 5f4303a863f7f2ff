using System.CommandLine;
using Heartbeat.Protocol.Control;

namespace Heartbeat.Ctl.Commands;

/// <summary>
/// <c>hbctl metrics</c>: the Prometheus text the <c>/metrics</c> endpoint serves, through the control socket (no
/// listener needed), for node-exporter's textfile collector: <c>hbctl metrics &gt; DIR/heartbeat.prom.$$ &amp;&amp; mv …</c>.
/// </summary>
public static class MetricsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var runDir = StatusCommand.RunDirectoryOption();
        var command = new Command("metrics", "Print the node's metrics in the Prometheus text format (as /metrics serves them)") { runDir };
        command.SetAction(parse =>
        {
            var (response, problem) = ControlClient.Ask(parse.GetValue(runDir)!, new ControlRequest(ControlRequest.CurrentVersion, "metrics"));
            if (response is null)
            {
                error.WriteLine($"hbctl: {problem}");
                return ControlClient.NotRunning;
            }

            if (!response.Ok)
            {
                error.WriteLine($"hbctl metrics: {response.Error}");
                return 1;
            }

            // Exactly the exposition text: it ends with its own newline.
            output.Write(response.Message);
            return 0;
        });
        return command;
    }
}
