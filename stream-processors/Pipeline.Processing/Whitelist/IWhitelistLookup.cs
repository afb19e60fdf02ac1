namespace Pipeline.Processing.Whitelist;

/// <summary>Asks the ledger about the hashes of one launch, through one peer.</summary>
/// <remarks>Implementations are thread-safe: the whitelist processor looks up several launches at
/// once. Any exception (or cancellation by the processor's timeout) is a lookup failure, handled
/// by the fail-closed / fail-open rule.</remarks>
public interface IWhitelistLookup
{
    /// <summary>Verifies <paramref name="queries"/> (at most a few thousand) in one ledger call where possible.</summary>
    Task<WhitelistAnswer> VerifyAsync(IReadOnlyList<WhitelistQuery> queries, CancellationToken cancellationToken);
}
