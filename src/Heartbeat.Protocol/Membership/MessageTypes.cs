namespace Heartbeat.Protocol.Membership;

/// <summary>Values of the <c>t</c> field that the membership layer sends or handles (wire-format.md §6).</summary>
public static class MessageTypes
{
    public const string Status = "status";
    public const string Ack = "NS_ackmsg";
    public const string Rexmit = "NS_rexmit";
    public const string NakRexmit = "NS_nak_rexmit";
    public const string RequestNodes = "reqnodes";
    public const string ReplyNodes = "repnodes";
    public const string ShutdownDone = "shutdone";
}

/// <summary>Node status words, as carried in <c>st</c> and printed by <c>cl_status nodestatus</c>.</summary>
public static class NodeStatus
{
    public const string Init = "init";
    public const string Up = "up";
    public const string Active = "active";
    public const string Dead = "dead";
}

/// <summary>Fields of the membership messages beyond the common control fields of <see cref="Wire.WireFields"/>.</summary>
public static class MembershipFields
{
    public const string AckSeq = "ackseq";
    public const string FirstSeq = "firstseq";
    public const string LastSeq = "lastseq";
    public const string Info = "info";
    public const string NodeList = "nodelist";
    public const string DeletedNodeList = "delnodelist";
}
