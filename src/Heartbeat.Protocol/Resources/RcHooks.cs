using System.Collections.Frozen;
using System.Security.Cryptography;
using Heartbeat.Protocol.Wire;

namespace Heartbeat.Protocol.Resources;

/// <summary>
/// 3.0.6's rc.d hooks (behaviour.md §10): for a cluster message whose type has an executable of that name in
/// <c>/etc/ha.d/rc.d</c>, run it with every string field as <c>HA_&lt;field&gt;</c> plus <c>HA_CURHOST</c>,
/// <c>HA_OSTATUS</c> and <c>HA_NICEFAILBACK</c>, one at a time. The five hooks Debian's heartbeat package ships do
/// 3.0.6's own resource work through its shell scripts (mach_down, ResourceManager, hb_standby's FIFO), which this
/// daemon does natively: running them too would start or stop resources twice. So a hook byte-identical to the
/// stock one is skipped; anything else an installation put there runs, as it did under 3.0.6.
/// </summary>
public static class RcHooks
{
    /// <summary>SHA-256 of the hooks in Debian 12's heartbeat 3.0.6 package (/etc/ha.d/rc.d), by name.</summary>
    public static readonly FrozenDictionary<string, string> StockHooks = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ask_resources"] = "c152bd16f9108c8430f1d0a8f1f4615efb0f12190a56bc1e066668a4f5c19700",
        ["hb_takeover"] = "2a867e92779ba6f0f9dc444690c9121e366466ca573a2b3d22f462d7c28b76d9",
        ["ip-request"] = "ddcd7bd757af52b8d0d2fb9d5be88d28c4bce4992b61e0ecf43746f2c28f5ee6",
        ["ip-request-resp"] = "fd3a080beef9bce32a206e233813680b258b0d02d5a5cc21ba1fa1d3094e4833",
        ["status"] = "1f1d6edbf0dee327cca9d43a047cd9265ede139654e906531e5563217295b4a5",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The hook 3.0.6's ip-request hook runs before a group is given up at a peer's request (legacy).</summary>
    public const string LocalGiveIp = "local_giveip";

    /// <summary>Whether a message type can name a hook file (no path tricks, no hidden files, no control bytes).</summary>
    public static bool IsHookName(string? type) =>
        !string.IsNullOrEmpty(type) && type.Length <= 64 && type[0] != '.' && type.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Whether these bytes are the stock hook of that name (done natively here, so not run).</summary>
    public static bool IsStock(string type, ReadOnlySpan<byte> content) =>
        StockHooks.TryGetValue(type, out string? hash) && Convert.ToHexStringLower(SHA256.HashData(content)) == hash;

    /// <summary>The hook's environment for a message: every string field as HA_field, then the node facts.</summary>
    public static Dictionary<string, string> Environment(HaMessage message, string currentHost, string? oldStatus, bool niceFailback)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
        {
            // String fields cannot hold NUL (the codec refuses them), so every one is a valid environment value.
            if (field.Type == FieldType.String && IsEnvironmentName(field.Name))
            {
                environment["HA_" + field.Name] = field.Text;
            }
        }

        environment["HA_CURHOST"] = currentHost;
        if (oldStatus is not null)
        {
            environment["HA_OSTATUS"] = oldStatus;
        }

        if (niceFailback)
        {
            environment["HA_NICEFAILBACK"] = "yes";
        }

        return environment;
    }

    /// <summary>
    /// The environment of <see cref="LocalGiveIp"/>, run before a group is given up at a peer's request: that of the
    /// peer's <c>ip-request</c> for the group, as 3.0.6's rc.d/ip-request passes it on.
    /// </summary>
    public static Dictionary<string, string> LocalGiveIpEnvironment(string key, string requestedBy, string currentHost) =>
        Environment(new HaMessage([HaField.String(WireFields.Type, ResourceMessages.IpRequest), HaField.String(WireFields.Src, requestedBy), HaField.String(ResourceFields.IpAddress, key)]), currentHost, null, niceFailback: false);

    private static bool IsEnvironmentName(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
