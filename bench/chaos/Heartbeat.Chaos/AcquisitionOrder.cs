namespace Heartbeat.Chaos;

/// <summary>What a captured resource-exchange message says about its sender.</summary>
public enum Stance
{
    /// <summary>Nothing about who holds the group (status, a plain holdings report, a done of unknown role).</summary>
    None,

    /// <summary>The sender gives the group up or holds nothing: it goes standby, stops, has stopped, just started.</summary>
    Gives,

    /// <summary>The sender holds or takes the group: it agreed to take it, took it over, finished taking it.</summary>
    Takes,
}

/// <summary>Whether an acquisition followed the messages: handed over, against them, or no message to tell.</summary>
public enum AcquisitionVerdict
{
    /// <summary>The last word was the peer holding it or the acquirer giving it up.</summary>
    AgainstMessages,

    /// <summary>No resource-exchange message between the two before the acquisition.</summary>
    Unknown,

    /// <summary>The last word was the peer giving it up or the acquirer having been asked to take it.</summary>
    HandedOver,
}

/// <summary>The verdict on one acquisition and the message it rests on (null: none).</summary>
public sealed record AcquisitionReason(AcquisitionVerdict Verdict, Reception? Because);

/// <summary>
/// The order of the v1 resource exchange as captured (pure): whether a node that took a VIP had been handed it. Both
/// directions count — the peer's messages as the acquirer received them, and the acquirer's own as the peer received
/// them (the capture sees no datagram leave). The last message with a <see cref="Stance"/> before the acquisition
/// decides. The culprit of a double hold is the holder that acquired against the messages; when both or neither did,
/// the later acquirer (the one that should have seen the other's addresses).
/// </summary>
public static class AcquisitionOrder
{
    /// <summary>The node the campaign's group (every VIP and the counting resource) has as its home in haresources.</summary>
    public const string GroupHome = "server1";

    /// <summary>
    /// What <paramref name="message"/> from <paramref name="sender"/> says about the campaign's group (home
    /// <see cref="GroupHome"/>); <paramref name="goingStandby"/> is the sender of the last <c>ask_resources info=me</c>
    /// seen, which tells whose <c>done</c> is a release (the node going standby: its stops finished) and whose is a
    /// takeover (the other: its starts finished). A message whose class (<c>rsc_hold</c>) does not cover the group says
    /// nothing about it: a standby of the sender's foreign class gives only the peer's home groups away.
    /// </summary>
    public static Stance Of(HbMessage message, string sender, string? goingStandby) => (message.Type, message.Info) switch
    {
        // hb_standby's request: "I want to go standby", the sender gives its set away (a missing class is all, as 3.0.6 reads it).
        ("ask_resources", "me") => Covers(sender, message.Hold ?? "all") ? Stance.Gives : Stance.None,
        // The answer: the sender will take it. The class is named from the giver's side in all three steps.
        ("ask_resources", "other") => Covers(goingStandby ?? Other(sender), message.Hold ?? "all") ? Stance.Takes : Stance.None,
        ("ask_resources", "done") when goingStandby is not null =>
            !Covers(goingStandby, message.Hold ?? "all") ? Stance.None : goingStandby == sender ? Stance.Gives : Stance.Takes,
        // The standby node's report while it stops its set names what it keeps; a graceful stop's, nothing.
        ("resource", "standby") => Covers(sender, message.Hold ?? "none") ? Stance.None : Stance.Gives,
        ("resource", "shutdown") => Stance.Gives,
        // mach_down's partial report: the sender now also holds the dead node's groups (its foreign class).
        ("resource", "mach_down") => Covers(sender, message.Hold ?? "foreign") ? Stance.Takes : Stance.None,
        // A (re)started daemon holds nothing yet; a stopped one has released everything.
        ("starting" or "shutdone", _) => Stance.Gives,
        _ => Stance.None,
    };

    /// <summary>Whether the class <paramref name="hold"/>, named from <paramref name="view"/>'s side, covers the group.</summary>
    private static bool Covers(string view, string hold) => hold switch
    {
        "all" => true,
        "local" => view == GroupHome,
        "foreign" => view != GroupHome,
        _ => false,
    };

    /// <summary>The other node of the pair (the campaign's pairs are server1 and server2).</summary>
    private static string Other(string node) => node == "server1" ? "server2" : "server1";

    /// <summary>
    /// Whether <paramref name="acquirer"/>'s acquisition at <paramref name="at"/> followed the messages exchanged with
    /// <paramref name="peer"/>. A last word followed by a silence of the peer longer than <paramref name="deadtime"/>
    /// (at the acquirer) is stale: the acquirer then took over a peer it had every reason to think dead, which no
    /// message judges (<see cref="AcquisitionVerdict.Unknown"/>).
    /// </summary>
    public static AcquisitionReason Judge(IReadOnlyList<Reception> receptions, string acquirer, string peer, double at, double deadtime)
    {
        string? goingStandby = null;
        (Reception Reception, Stance Stance)? last = null;
        var exchanged = receptions
            .Where(r => r.Message is not null && r.At < at && ((r.Sender == peer && r.Receiver == acquirer) || (r.Sender == acquirer && r.Receiver == peer)))
            .OrderBy(r => r.At);
        foreach (var reception in exchanged)
        {
            var stance = Of(reception.Message!, reception.Sender, goingStandby);
            if (reception.Sender == acquirer && reception.Message is { Type: "starting" })
            {
                // The acquirer's own start says nothing about the group: it acquires after the negotiation it opens.
                stance = Stance.None;
            }

            if (reception.Message is { Type: "ask_resources", Info: "me" })
            {
                goingStandby = reception.Sender;
            }

            if (stance != Stance.None)
            {
                last = (reception, stance);
            }
        }

        if (last is not { } word || SilentBetween(receptions, acquirer, peer, word.Reception.At, at) > deadtime)
        {
            return new AcquisitionReason(AcquisitionVerdict.Unknown, null);
        }

        bool fromPeer = word.Reception.Sender == peer;
        bool handed = fromPeer ? word.Stance == Stance.Gives : word.Stance == Stance.Takes;
        return new AcquisitionReason(handed ? AcquisitionVerdict.HandedOver : AcquisitionVerdict.AgainstMessages, word.Reception);
    }

    /// <summary>
    /// The culprit of a double hold of <paramref name="a"/> (acquired at <paramref name="sinceA"/>) and <paramref name="b"/>
    /// (at <paramref name="sinceB"/>): the one whose acquisition the messages justify less; on a tie the later acquirer.
    /// Also returns why, for the report.
    /// </summary>
    public static (string Culprit, string Why) Culprit(IReadOnlyList<Reception> receptions, string a, double sinceA, string b, double sinceB, double deadtime)
    {
        var (judgedA, judgedB) = (Judge(receptions, a, b, sinceA, deadtime), Judge(receptions, b, a, sinceB, deadtime));
        if (judgedA.Verdict == judgedB.Verdict)
        {
            return (sinceA > sinceB ? a : b, "the later acquirer");
        }

        var (culprit, reason, other, otherReason) = judgedA.Verdict < judgedB.Verdict ? (a, judgedA, b, judgedB) : (b, judgedB, a, judgedA);
        return (culprit, $"{Explain(culprit, reason)}; {Explain(other, otherReason)}");
    }

    /// <summary>The longest stretch of (<paramref name="from"/>, <paramref name="to"/>) in which <paramref name="receiver"/> received nothing from <paramref name="sender"/>.</summary>
    private static double SilentBetween(IReadOnlyList<Reception> receptions, string receiver, string sender, double from, double to)
    {
        double longest = 0, last = from;
        foreach (double arrival in receptions.Where(r => r.Receiver == receiver && r.Sender == sender && r.At > from && r.At < to).Select(r => r.At).Order())
        {
            longest = Math.Max(longest, arrival - last);
            last = arrival;
        }

        return Math.Max(longest, to - last);
    }

    private static string Explain(string acquirer, AcquisitionReason reason) => reason.Because is not { } because
        ? $"{acquirer} acquired with no resource message exchanged since it last heard the peer"
        : $"{acquirer} acquired {(reason.Verdict == AcquisitionVerdict.HandedOver ? "after" : "against")} {because.Sender}'s {because.Message!.Text} at {because.At:F3}";
}
