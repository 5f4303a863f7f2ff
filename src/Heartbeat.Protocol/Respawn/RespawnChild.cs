using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Respawn;

/// <summary>Where a respawn child is in its life.</summary>
public enum RespawnState
{
    /// <summary>Not started yet: communication is not up.</summary>
    Waiting,

    /// <summary>To be started at <see cref="RespawnChild.DueAt"/>.</summary>
    Due,

    /// <summary>Handed to the daemon to start; its pid is not known yet.</summary>
    Starting,

    Running,

    /// <summary>Exited with 100 ("do not restart me"), or could not be started: not restarted.</summary>
    Stopped,

    /// <summary>Exited quickly more than 10 times in a row: "respawning too fast", not restarted.</summary>
    TooFast,

    /// <summary>Never started (ipfail, dopd: see <see cref="RespawnEntry.NotRun"/>).</summary>
    NotRun,

    /// <summary>The node is shutting down: stopped, or never started.</summary>
    ShutDown,
}

/// <summary>One <c>respawn</c> line's child: its state, pid and restart counts (changed only by <see cref="RespawnSupervisor"/>).</summary>
public sealed class RespawnChild(RespawnEntry entry)
{
    public RespawnEntry Entry { get; } = entry;

    public RespawnState State { get; internal set; } = entry.NotRun is null ? RespawnState.Waiting : RespawnState.NotRun;

    public int? Pid { get; internal set; }

    /// <summary>How many times it exited and was considered for a restart (3.0.6's respawncount).</summary>
    public int Restarts { get; internal set; }

    /// <summary>Quick exits in a row (3.0.6's shortrcount): a run shorter than <see cref="RespawnSupervisor.QuickRun"/>.</summary>
    public int QuickExits { get; internal set; }

    public DateTimeOffset StartedAt { get; internal set; }

    public DateTimeOffset DueAt { get; internal set; }

    /// <summary>How its last run ended ("exit 3", "exit 100"), or why it could not start; null before.</summary>
    public string? LastExit { get; internal set; }

    /// <summary>The state as <c>hbctl status</c> shows it.</summary>
    public string StateText => State switch
    {
        RespawnState.TooFast => "respawning too fast",
        RespawnState.NotRun => "not run",
        RespawnState.ShutDown => "shut down",
        _ => State.ToString().ToLowerInvariant(),
    };
}
