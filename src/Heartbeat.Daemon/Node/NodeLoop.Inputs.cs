using System.Runtime.InteropServices;
using System.Threading.Channels;
using Heartbeat.Daemon.Interop;
using Heartbeat.Daemon.Logging;
using Heartbeat.Daemon.Media;
using Heartbeat.Daemon.Ping;
using Heartbeat.Daemon.Threads;
using Heartbeat.Protocol.Membership;
using Heartbeat.Protocol.Node;
using static Heartbeat.Protocol.Timing.Deadlines;

namespace Heartbeat.Daemon.Node;

/// <summary>
/// The loop's inputs: the poll set (the wake-up eventfd, the receiving sockets, the address notifications), the
/// queue other threads hand inputs through, and the choice of the next input. Everything here runs on the loop
/// thread except <see cref="WakeLoop"/>, which any thread calls.
/// </summary>
public sealed partial class NodeLoop
{
    /// <summary>
    /// The longest the loop sleeps without a deadline. There is no regular tick: the engine's deadlines (never later
    /// than the next keepalive), the planner's timers, the watchdog and the counters log say when to wake, and every
    /// other input wakes the loop itself. Every wake-up of an idle daemon costs CPU; 3.0.6 polls every 250 ms.
    /// </summary>
    private static readonly TimeSpan LongestSleep = TimeSpan.FromSeconds(30);

    // Writers only TryWrite: with FullMode.Wait that returns false when the queue is full, so a drop can be counted
    // (DropWrite would report success for the dropped item).
    private readonly Channel<LoopInput> _inputs = Channel.CreateBounded<LoopInput>(new BoundedChannelOptions(16384)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>
    /// Set by every producer after it queued an input (or a flag for the loop): the loop thread sleeps on it until its
    /// next deadline. No spinning: an idle daemon wakes a few times a second and each wake-up should cost one switch.
    /// </summary>
    private readonly LoopWakeup _wakeup = new();

    /// <summary>
    /// The loop's poll set: entry 0 the wake-up eventfd, then one per receiving socket (<see cref="_receivers"/>), then
    /// the address notifications. The loop reads the sockets itself, so a heartbeat costs one wake-up, not a reader
    /// thread's and then the loop's. Loop thread only.
    /// </summary>
    private PollFd[] _pollSet = [];
    private MediumReceiver[] _receivers = [];

    /// <summary>Sockets poll reported readable and not read since; read one datagram each, in turn (loop thread only).</summary>
    private bool[] _readable = [];
    private int _nextReceiver;
    private long _receiveErrors;

    /// <summary>The stop was seen by <see cref="NextInput"/> (loop thread only).</summary>
    private bool _leaveNoticed;

    /// <summary>
    /// Builds the poll set: the wake-up, the receiving sockets, the ping nodes' IPv4 and ICMPv6 sockets, then the
    /// address notifications (a negative descriptor: poll skips it).
    /// </summary>
    private void OpenPollSet(MediaSet media, PingSockets ping)
    {
        _receivers = [.. media.Receivers];
        _pingSockets = ping;
        _readable = new bool[_receivers.Length + 2];
        _pollSet = new PollFd[_receivers.Length + 4];
        _pollSet[0] = new PollFd { Fd = _wakeup.Descriptor, Events = PollCall.Readable };
        for (int i = 0; i < _receivers.Length; i++)
        {
            _pollSet[i + 1] = new PollFd { Fd = _receivers[i].Descriptor, Events = PollCall.Readable };
        }

        _pollSet[_receivers.Length + 1] = new PollFd { Fd = ping.Descriptor4, Events = PollCall.Readable };
        _pollSet[_receivers.Length + 2] = new PollFd { Fd = ping.Descriptor6, Events = PollCall.Readable };
        _pollSet[^1] = new PollFd { Fd = _vipWatch.Descriptor, Events = PollCall.Readable };
    }

    private PingSockets? _pingSockets;

    /// <summary>One packet from a ping socket poll reported readable (IPv4 first), read into the sockets' buffer.</summary>
    private bool TryReadReadyEcho(out bool ipv6)
    {
        for (int k = 0; k < 2; k++)
        {
            ipv6 = k == 1;
            if (!_readable[_receivers.Length + k])
            {
                continue;
            }

            _readable[_receivers.Length + k] = false;
            if (_pingSockets!.TryReceive(ipv6, out int errno))
            {
                return true;
            }

            if (errno != RecvCall.Eagain)
            {
                long count = ++_receiveErrors;
                if (count <= 10 || count % 100 == 0)
                {
                    MembershipLog.ReceiveFailed(_logger, ipv6 ? "ping6" : "ping", Marshal.GetPInvokeErrorMessage(errno), errno);
                }
            }
        }

        ipv6 = false;
        return false;
    }

    /// <summary>
    /// The loop's next input: a tick once the node's next deadline (the next keepalive, the moment a peer or link
    /// would be past its window, a retransmission request, the planner's timers, the end of a leave's grace) or
    /// <paramref name="otherDue"/> (the watchdog's ping, the counters, the VIP poll) has come, else a queued wake-up, else one datagram from a socket poll reported
    /// readable. Deadlines come first, so a flood cannot hold back our keepalives or a death. Sleeps in poll(2) on the
    /// sockets and the wake-up eventfd until then: no timer thread, no reader thread, no thread-pool hop between a
    /// deadline or a datagram and what it causes.
    /// </summary>
    private LoopInput NextInput(ClusterNode node, TimeSpan otherDue, CancellationToken stoppingToken)
    {
        while (true)
        {
            var now = node.Now;
            var due = Earlier(node.NextDeadline, otherDue);
            if (now >= due || (_leaving && !_leaveNoticed))
            {
                _leaveNoticed |= _leaving;
                return LoopInput.Tick;
            }

            if (_inputs.Reader.TryRead(out var queued))
            {
                return queued;
            }

            if (TryReadReadySocket(out var datagram))
            {
                return LoopInput.From(datagram);
            }

            if (TryReadReadyEcho(out bool ipv6))
            {
                return LoopInput.Echo(ipv6);
            }

            if (_vipWatch.EventsReady)
            {
                return LoopInput.Wake;
            }

            stoppingToken.ThrowIfCancellationRequested();

            // Rounded up to the timer's millisecond: waking early would only cost a second wait. An input queued after
            // the look above has signalled the eventfd, so poll returns at once.
            int milliseconds = (int)Math.Clamp(Math.Ceiling((due - now).TotalMilliseconds), 1, LongestSleep.TotalMilliseconds);
            WaitForInput(milliseconds);
        }
    }

    /// <summary>Sleeps in poll(2) until a socket or the wake-up is readable or the time is up; notes what is ready.</summary>
    private void WaitForInput(int milliseconds)
    {
        var set = _pollSet.AsSpan();
        for (int i = 0; i < set.Length; i++)
        {
            set[i].ReturnedEvents = 0;
        }

        if (PollCall.Wait(set, milliseconds) == 0)
        {
            return;
        }

        if (set[0].ReturnedEvents != 0)
        {
            _wakeup.Clear();
        }

        for (int i = 1; i < set.Length - 1; i++)
        {
            // POLLERR too: the read returns (and clears) the socket's pending error.
            _readable[i - 1] |= set[i].ReturnedEvents != 0;
        }

        _vipWatch.NoteReadable(set[^1].ReturnedEvents != 0);
    }

    /// <summary>
    /// One datagram from the next socket poll reported readable. One read per report: while more are queued poll
    /// reports the socket again, and the loop looks at its deadlines between datagrams.
    /// </summary>
    private bool TryReadReadySocket(out ReceivedDatagram datagram)
    {
        for (int k = 0; k < _receivers.Length; k++)
        {
            int i = (_nextReceiver + k) % _receivers.Length;
            if (!_readable[i])
            {
                continue;
            }

            _readable[i] = false;
            var receiver = _receivers[i];
            if (receiver.TryReceive(out datagram, out int errno))
            {
                _nextReceiver = (i + 1) % _receivers.Length;
                return true;
            }

            if (errno != RecvCall.Eagain)
            {
                long count = ++_receiveErrors;
                if (count <= 10 || count % 100 == 0)
                {
                    MembershipLog.ReceiveFailed(_logger, receiver.Interface, Marshal.GetPInvokeErrorMessage(errno), errno);
                }
            }
        }

        datagram = default;
        return false;
    }

    /// <summary>Queues an input for the loop and wakes it (any thread); a full queue drops it (counted) rather than blocking the caller.</summary>
    private void WakeLoop(LoopInput input)
    {
        if (!_inputs.Writer.TryWrite(input))
        {
            long count = _counters.InputWasDropped();
            if (count <= 10 || count % 1000 == 0)
            {
                MembershipLog.InputDropped(_logger, count);
            }
        }

        _wakeup.Signal();
    }

    private enum LoopInputKind
    {
        Datagram,
        Tick,

        /// <summary>An ICMP packet read from a ping socket (<see cref="PingSockets.Received"/>).</summary>
        Echo,

        /// <summary>Nothing to feed the engine: a control request waits for this loop turn.</summary>
        Wake,
    }

    private readonly record struct LoopInput(LoopInputKind Kind, ReceivedDatagram Datagram, bool Ipv6 = false)
    {
        public static LoopInput Echo(bool ipv6) => new(LoopInputKind.Echo, default, ipv6);

        public static LoopInput Tick => new(LoopInputKind.Tick, default);

        public static LoopInput Wake => new(LoopInputKind.Wake, default);

        public static LoopInput From(ReceivedDatagram datagram) => new(LoopInputKind.Datagram, datagram);
    }
}
