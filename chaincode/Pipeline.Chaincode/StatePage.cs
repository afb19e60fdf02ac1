namespace Pipeline.Chaincode;

/// <summary>One page of a paged range query.</summary>
/// <param name="Entries">Entries of this page, ordinal key order.</param>
/// <param name="Bookmark">Key to resume from; empty when the range is exhausted.</param>
public sealed record StatePage(IReadOnlyList<StateEntry> Entries, string Bookmark);
