namespace Pipeline.Processing.Engine;

/// <summary>The logic of a processor: turns a batch of input records into outputs and poison
/// verdicts. The Kafka side (<see cref="BatchConsumerLoop"/>) produces, dead-letters and commits.</summary>
/// <remarks>Called from one thread at a time. A processor must not throw for bad input: it adds a
/// poison verdict and goes on. An exception means the batch could not be processed at all; the loop
/// treats <see cref="ProcessingFatalException"/> as fatal and anything else as transient (retry).</remarks>
public interface IBatchProcessor
{
    /// <summary>Processes <paramref name="batch"/> (input order) into <paramref name="result"/>.</summary>
    Task ProcessAsync(IReadOnlyList<InputRecord> batch, BatchResult result, CancellationToken cancellationToken);

    /// <summary>The loop no longer owns these partitions (rebalance); per-partition state may be dropped.</summary>
    void OnPartitionsRevoked(IReadOnlyList<(string Topic, int Partition)> partitions);
}
