namespace Pipeline.Ledger.Fabric.Client;

/// <summary>Where a chaincode event stream starts.</summary>
public sealed record ChaincodeEventsOptions
{
    /// <summary>First block to read (null: the next block committed). Ignored when <see cref="Checkpointer"/> holds a position.</summary>
    public ulong? StartBlock { get; init; }

    /// <summary>Resume position (block, and the last transaction processed in it).</summary>
    public Checkpointer? Checkpointer { get; init; }
}
