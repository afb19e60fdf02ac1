namespace Pipeline.Ledger;

/// <summary>A peer's block file or state failed verification; <see cref="BlockNumber"/> is the first bad block.</summary>
public sealed class LedgerCorruptionException : Exception
{
    public LedgerCorruptionException()
    {
    }

    public LedgerCorruptionException(string message)
        : base(message)
    {
    }

    public LedgerCorruptionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LedgerCorruptionException(long blockNumber, string path, string reason, Exception? innerException = null)
        : base($"block {blockNumber} in {path} is corrupt: {reason}", innerException)
    {
        BlockNumber = blockNumber;
        FilePath = path;
        Reason = reason;
    }

    /// <summary>Number of the first block that failed verification.</summary>
    public long BlockNumber { get; } = -1;

    /// <summary>File (or state directory) that failed.</summary>
    public string FilePath { get; } = string.Empty;

    /// <summary>What was wrong.</summary>
    public string Reason { get; } = string.Empty;
}
