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

    /// <summary>The loop will no longer process these partitions from where it stands: they were revoked or lost
    /// (rebalance), or the loop rewinds them after a failed batch. Drop everything held for them and any
    /// per-partition state; their records are read again from the last commit (by this instance or the next owner).</summary>
    void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions);
}
