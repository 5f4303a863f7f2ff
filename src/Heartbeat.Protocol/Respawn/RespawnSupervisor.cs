using Heartbeat.Protocol.Config;

namespace Heartbeat.Protocol.Respawn;

/// <summary>What the supervisor decided about a child that exited.</summary>
public enum RespawnVerdict
{
    /// <summary>Started again at its <see cref="RespawnChild.DueAt"/> (one second later after a quick exit).</summary>
    Restart,

    /// <summary>It exited with 100: 3.0.6 does not restart it.</summary>
    ExitedForGood,

    /// <summary>Its 11th quick exit in a row: "respawning too fast", not restarted.</summary>
    TooFast,

    /// <summary>The node is shutting down.</summary>
    ShuttingDown,
}

/// <summary>
/// 3.0.6's managed children (<c>respawn</c> lines; heartbeat.c's ManagedChildDied), pure and on the caller's clock: every
/// child is started once communication is up; when one exits it is started again, unless it exited with 100 or the
/// node is shutting down; a run shorter than 30 s counts as quick, a longer one resets the count, and the 11th quick exit
/// in a row is "respawning too fast": logged and not restarted. After a quick exit the new child waits one second
/// before it runs (3.0.6 sleeps in the child; here the start is due a second later). At shutdown every running child
/// gets SIGTERM. The daemon (Respawn/RespawnRunner.cs) forks, execs and kills, and reports each exit here.
/// </summary>
public sealed class RespawnSupervisor(IEnumerable<RespawnEntry> entries)
{
    /// <summary>A run shorter than this is a quick exit (heartbeat.c: 30000 ms).</summary>
    public static readonly TimeSpan QuickRun = TimeSpan.FromSeconds(30);

    /// <summary>More quick exits in a row than this and the child is not restarted (heartbeat.c: shortrcount &gt; 10).</summary>
    public const int MaxQuickExits = 10;

    /// <summary>The pause before a child that exited quickly runs again.</summary>
    public static readonly TimeSpan QuickRestartDelay = TimeSpan.FromSeconds(1);

    private bool _shuttingDown;

    public IReadOnlyList<RespawnChild> Children { get; } = [.. entries.Select(e => new RespawnChild(e))];

    /// <summary>When the next child is due to start, or null when none is.</summary>
    public DateTimeOffset? NextDue => Children.Where(c => c.State == RespawnState.Due).Select(c => (DateTimeOffset?)c.DueAt).Min();

    /// <summary>Communication is up (the node is active): every child not started yet is due now. Idempotent.</summary>
    public void CommunicationUp(DateTimeOffset now)
    {
        if (_shuttingDown)
        {
            return;
        }

        foreach (var child in Children.Where(c => c.State == RespawnState.Waiting))
        {
            child.State = RespawnState.Due;
            child.DueAt = now;
        }
    }

    /// <summary>The children to start now; each is then <see cref="RespawnState.Starting"/> until <see cref="Started"/> or <see cref="StartFailed"/>.</summary>
    public IReadOnlyList<RespawnChild> TakeDue(DateTimeOffset now)
    {
        var due = Children.Where(c => c.State == RespawnState.Due && c.DueAt <= now).ToArray();
        foreach (var child in due)
        {
            child.State = RespawnState.Starting;
        }

        return due;
    }

    public void Started(RespawnChild child, int pid, DateTimeOffset now)
    {
        child.Pid = pid;
        child.StartedAt = now;
        child.State = RespawnState.Running;
    }

    /// <summary>The command could not be started (no such user, no /bin/sh): 3.0.6 logs it and does not try again.</summary>
    public void StartFailed(RespawnChild child, string reason)
    {
        child.Pid = null;
        child.LastExit = reason;
        child.State = _shuttingDown ? RespawnState.ShutDown : RespawnState.Stopped;
    }

    /// <summary>A running child exited with <paramref name="exitCode"/> (128+n when killed by signal n).</summary>
    public RespawnVerdict Exited(RespawnChild child, int exitCode, DateTimeOffset now)
    {
        child.Pid = null;
        child.LastExit = $"exit {exitCode}";
        if (_shuttingDown)
        {
            child.State = RespawnState.ShutDown;
            return RespawnVerdict.ShuttingDown;
        }

        if (exitCode == 100)
        {
            child.State = RespawnState.Stopped;
            return RespawnVerdict.ExitedForGood;
        }

        child.Restarts++;
        child.QuickExits = now - child.StartedAt < QuickRun ? child.QuickExits + 1 : 0;
        if (child.QuickExits > MaxQuickExits)
        {
            // 3.0.6 resets the count too, but nothing restarts the child afterwards.
            child.QuickExits = 0;
            child.State = RespawnState.TooFast;
            return RespawnVerdict.TooFast;
        }

        child.State = RespawnState.Due;
        child.DueAt = child.QuickExits > 0 ? now + QuickRestartDelay : now;
        return RespawnVerdict.Restart;
    }

    /// <summary>The node is shutting down: nothing starts any more; returns the running children, to be sent SIGTERM.</summary>
    public IReadOnlyList<RespawnChild> BeginShutdown()
    {
        _shuttingDown = true;
        foreach (var child in Children.Where(c => c.State is RespawnState.Waiting or RespawnState.Due))
        {
            child.State = RespawnState.ShutDown;
        }

        return [.. Children.Where(c => c.State == RespawnState.Running && c.Pid is not null)];
    }
}
