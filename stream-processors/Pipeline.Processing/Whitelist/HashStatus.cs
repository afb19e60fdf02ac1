namespace Pipeline.Processing.Whitelist;

/// <summary>The ledger's answer about one hash.</summary>
/// <param name="Sha256">The hash asked about.</param>
/// <param name="Exists">True when the hash is an approved asset.</param>
/// <param name="AppName">Application of the asset, when it exists.</param>
/// <param name="OwnerRole">Owner class of the asset ("admin" or "user"), when it exists.</param>
/// <param name="AppNameKnown">For a hash that does not exist: whether the reported application
/// name is on the ledger under other hashes (a modified binary of a known app).</param>
public sealed record HashStatus(string Sha256, bool Exists, string? AppName, string? OwnerRole, bool AppNameKnown);
