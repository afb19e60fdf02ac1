namespace Pipeline.Producers.Simulation;

/// <summary>
/// An endless, deterministic source of messages in batches (a tick of a factory, a block with its
/// transactions, one execution). Sources are merged by batch time.
/// </summary>
internal abstract class EventSource
{
    private readonly Queue<SimulatedMessage> _buffer = new(256);

    /// <summary>Simulated time of the batch being drained (Unix ms).</summary>
    protected long BatchTimeMs { get; set; }

    public long PeekTimeMs
    {
        get
        {
            while (_buffer.Count == 0)
            {
                FillNextBatch();
            }
            return BatchTimeMs;
        }
    }

    public SimulatedMessage Take()
    {
        while (_buffer.Count == 0)
        {
            FillNextBatch();
        }
        return _buffer.Dequeue();
    }

    protected void Emit(in SimulatedMessage message) => _buffer.Enqueue(message);

    /// <summary>Emits the next batch and sets <see cref="BatchTimeMs"/>.</summary>
    protected abstract void FillNextBatch();
}
