namespace Pipeline.Processing.Engine;

/// <summary>The logic of a processor: turns a batch of input records into outputs and poison
/// verdicts. The Kafka side (<see cref="BatchConsumerLoop"/>) produces, dead-letters and commits.</summary>
/// <remarks>Called from one thread at a time. A processor must not throw for bad input: it adds a
/// poison verdict and goes on. An exception means the batch could not be processed at all; the loop
/// treats <see cref="ProcessingFatalException"/> as fatal and anything else as transient (retry).
/// A processor may hold records past their batch (<see cref="HeldFrom"/>): their outputs then come in a later
/// batch or tick, and the loop commits no partition at or past its oldest held record.</remarks>
public interface IBatchProcessor
{
    /// <summary>Processes <paramref name="batch"/> (input order) into <paramref name="result"/>; it may add the
    /// outputs of records held from earlier batches too. Poison verdicts refer to records of this batch.</summary>
    Task ProcessAsync(IReadOnlyList<InputRecord> batch, BatchResult result, CancellationToken cancellationToken);

    /// <summary>The lowest offset of this partition whose record the processor still holds: consumed and accepted,
    /// but its outputs will only come in a later batch (or tick). Null when it holds none. The loop never commits at
    /// or past it.</summary>
    /// <remarks>Asked once per partition after each batch and tick; between rewinds it only grows.</remarks>
    long? HeldFrom(string topic, int partition) => null;

    /// <summary>Called when input has paused (no record within the idle poll) and at most every idle poll: the
    /// processor may finish held records whose time limit passed, writing their outputs into result.</summary>
    /// <remarks>A tick has no input records, so it adds outputs only (a poison verdict is a fatal error).</remarks>
    Task TickAsync(BatchResult result, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>How many records before its committed offset the loop reads again for each partition it is assigned, to
    /// hand them to <see cref="Warm"/> first (0, the default: none). A processor that keeps context across events (the
    /// previous reading of a device, the recent transactions of an account) uses this to score the partition's next
    /// records as the previous owner would have, instead of from a cold context.</summary>
    /// <remarks>Asked at every assignment. The loop skips the warm-up for a partition whose records up to its committed
    /// offset this instance has already handed over (an eager rebalance giving it back its own partitions), and
    /// starts it after the last record it handed over when that lies within the window.</remarks>
    int WarmupRecords => 0;

    /// <summary>Records from before a newly assigned partition's committed offset, in order: processed and committed
    /// already (by this instance or another), read again only to rebuild context. Produces nothing: no outputs and no
    /// poison verdicts (a bad record was dead-lettered when it was processed); the loop commits nothing for them and
    /// never moves a commit back. Must not throw for bad input.</summary>
    void Warm(IReadOnlyList<InputRecord> records)
    {
    }

    /// <summary>The loop will no longer process these partitions from where it stands: they were revoked or lost
    /// (rebalance), or the loop rewinds them after a failed batch. Drop everything held for them and any
    /// per-partition state; their records are read again from the last commit (by this instance or the next owner).</summary>
    void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions);
}
