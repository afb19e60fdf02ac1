namespace Pipeline.Ledger;

/// <summary>A key written during simulation: its new value, or a delete.</summary>
public sealed record WriteSetEntry(string Key, bool IsDelete, byte[] Value);
