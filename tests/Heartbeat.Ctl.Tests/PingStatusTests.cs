using Heartbeat.Ctl;
using Heartbeat.Protocol.Ipfail;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Ctl.Tests;

/// <summary>Ping nodes and the built-in ipfail in hbctl status, the cl_status views and hbctl decode's names.</summary>
public sealed class PingStatusTests : IAsyncLifetime
{
    private readonly FakeControlSocket _socket = new("hbctl-ping-");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    private (int Exit, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.BuildRoot(output, error).Parse([.. args, "--run-dir", _socket.RunDirectory]).Invoke();
        return (exit, output.ToString() + error.ToString());
    }

    [Fact]
    public void Status_shows_ping_nodes_and_ipfails_comparison_and_pending_decision()
    {
        var (exit, text) = Run("status");
        Assert.Equal(0, exit);
        Assert.Matches(@"10\.10\.10\.254\s+ping\s+10\.10\.10\.254\s+ping\s+310 ms ago\s+120\s+118", text);
        Assert.Matches(@"routers\s+ping_group\s+10\.10\.10\.252 10\.10\.10\.253\s+dead\s+never\s+240\s+0", text);
        Assert.Contains("ipfail (built in): we see 1 ping node(s), the peer said 2 (we last sent 1); pending: giving up all groups in 1500 ms; auto_failback on; foreign echo replies ignored: 42", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Cl_status_lists_ping_nodes_with_their_type_and_status_as_3_0_6()
    {
        // 3.0.6 walks its node table (node and ping lines in file order) backwards.
        Assert.Equal((0, "routers\nserver2\n10.10.10.254\nserver1\n"), Run("listnodes"));
        Assert.Equal((0, "ping\n"), Run("nodetype", "routers"));
        Assert.Equal((0, "normal\n"), Run("nodetype", "server2"));
        Assert.Equal((0, "ping\n"), Run("nodestatus", "10.10.10.254"));
        Assert.Equal((1, "dead\n"), Run("nodestatus", "routers"));
        Assert.Equal((0, "The node routers's type: ping\n"), Run("nodetype", "routers", "-m"));
        Assert.Equal((0, "\trouters\n"), Run("listhblinks", "routers"));
    }

    [Fact]
    public void Decode_names_the_ipfail_messages()
    {
        var ask = IpfailMessages.AskPingNodes("server1", "server2", 0);
        Assert.Equal("ipfail: server1 sees 0 ping node(s) and asks server2 for its count", IpfailMessages.Describe(ask));
        Assert.Equal("ipfail: server1 sees more ping nodes and tells server2 to give up all its groups", IpfailMessages.Describe(IpfailMessages.TellYouAreDead("server2").Set("src", "server1")));
        Assert.Equal("ipfail: ping node counts are balanced; server2 tells server1 to abort its delayed giveup", IpfailMessages.Describe(IpfailMessages.TellAbortGiveup("server2", "server1")));
        Assert.Equal("API client ipfail on server1: join (ipfail's join notice: the other ipfail answers with its count)", IpfailMessages.Describe(IpfailMessages.JoinNotice("server1")));

        // A standby request is ipfail's only when heartbeat's API stamped it so.
        Assert.Null(IpfailMessages.Describe(new HaMessage([HaField.String("t", "ask_resources"), HaField.String("rsc_hold", "all"), HaField.String("info", "me"), HaField.String("src", "server1")])));
        Assert.Null(IpfailMessages.Describe(new HaMessage([HaField.String("t", "status")])));
    }
}
