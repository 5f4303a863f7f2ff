using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// What a message of the standby exchange (<c>ask_resources</c>, behaviour.md §6.1) means, for <c>hbctl decode</c>.
/// The same exchange carries hb_standby, <c>hbctl standby</c> and ipfail's giveup: 3.0.6's ipfail sends its request
/// through heartbeat's API, which stamps <c>from_id=ipfail</c> on it (see Ipfail.IpfailMessages.Describe), and our
/// built-in ipfail stamps it alike; the other senders leave no mark of who asked.
/// </summary>
public static class StandbyMessages
{
    /// <summary>The meaning of an <c>ask_resources</c> message; null for any other message.</summary>
    public static string? Describe(HaMessage message)
    {
        if (message.Type != ResourceMessages.AskResources)
        {
            return null;
        }

        string src = message.GetString(WireFields.Src) ?? "?";

        // rsc_hold is named from the giver's side, also in the taker's answers; 3.0.6 reads a missing one as all.
        string set = message.GetString(ResourceFields.RscHold) ?? "all";

        // Worded after 3.0.6's log lines for each step ("%s wants to go standby [%s]", "standby: %s can take our %s
        // resources"), which admins grep for.
        return message.GetString(ResourceFields.Info) switch
        {
            "me" => $"standby request: {src} wants to go standby [{set}]",
            "other" => $"standby: {src} can take the giver's {set} resources",
            "done" => $"standby: {src} is done [{set}] (the giver has released them, or the taker has taken them over)",
            { } info => $"standby exchange from {src} [{set}], info={info}",
            null => $"standby message from {src} without info (3.0.6 ignores it)",
        };
    }
}
