namespace Pipeline.Processing.Whitelist;

/// <summary>The ledger's answers for one lookup, in query order, and the peer that gave them.</summary>
/// <param name="PeerId">Ledger peer that answered.</param>
/// <param name="Results">One status per query, same order.</param>
public sealed record WhitelistAnswer(string PeerId, IReadOnlyList<HashStatus> Results);
