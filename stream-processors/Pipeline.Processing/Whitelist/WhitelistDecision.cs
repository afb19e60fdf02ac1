namespace Pipeline.Processing.Whitelist;

/// <summary>The verdict for one execution.</summary>
/// <param name="Allow">Allow or deny.</param>
/// <param name="Reason">approved, unknown_hash, hash_mismatch, admin_misuse or lookup_failure.</param>
/// <param name="AlertType">Alert to raise, or null.</param>
public readonly record struct WhitelistDecision(bool Allow, string Reason, string? AlertType)
{
    public const string Approved = "approved";
    public const string UnknownHash = "unknown_hash";
    public const string HashMismatch = "hash_mismatch";
    public const string AdminMisuse = "admin_misuse";
    public const string LookupFailure = "lookup_failure";

    /// <summary>BCDID rules for an answered lookup: a hash not on chain is denied (hash_mismatch when
    /// the app name is known under other hashes, else unknown_hash); an admin-owned app run by a
    /// non-admin is denied (admin_misuse); anything else on chain is allowed.</summary>
    public static WhitelistDecision Decide(string userRole, HashStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!status.Exists)
        {
            return status.AppNameKnown ? new(false, HashMismatch, HashMismatch) : new(false, UnknownHash, UnknownHash);
        }
        if (status.OwnerRole == "admin" && userRole != "admin")
        {
            return new(false, AdminMisuse, AdminMisuse);
        }
        return new(true, Approved, null);
    }

    /// <summary>The verdict when the lookup failed.</summary>
    public static WhitelistDecision Failed(LookupFailureMode mode) =>
        new(mode == LookupFailureMode.FailOpen, LookupFailure, LookupFailure);
}
