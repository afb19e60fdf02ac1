namespace Pipeline.Chaincode;

/// <summary>Ledger answer for one executed hash (one element of VerifyExecutions).</summary>
/// <param name="Sha256">Hash asked about.</param>
/// <param name="Exists">True when the hash is a whitelisted asset.</param>
/// <param name="AppName">Application name, when it exists.</param>
/// <param name="AppVersion">Application version, when it exists.</param>
/// <param name="OwnerRole">Ownership class (<c>admin</c>/<c>user</c>), when it exists.</param>
public sealed record ExecutionCheck(string Sha256, bool Exists, string? AppName, string? AppVersion, string? OwnerRole)
{
    /// <summary>
    /// BCDID rule: allowed when the hash is whitelisted and not an admin-owned app run by a non-admin.
    /// </summary>
    public bool IsAllowedFor(string userRole) =>
        Exists && (OwnerRole != OwnerRoles.Admin || userRole == OwnerRoles.Admin);
}
