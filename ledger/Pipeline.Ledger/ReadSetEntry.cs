namespace Pipeline.Ledger;

/// <summary>A key read during simulation and the version seen (null: the key did not exist).</summary>
public sealed record ReadSetEntry(string Key, StateVersion? Version);
