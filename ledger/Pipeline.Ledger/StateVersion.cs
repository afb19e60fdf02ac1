namespace Pipeline.Ledger;

/// <summary>Version of a committed key: the block and the position of the transaction that wrote it.</summary>
public readonly record struct StateVersion(long BlockNumber, int TxNumber);
