namespace Pipeline.Federation;

/// <summary>Remembers the most recent nonces (bounded FIFO) so a replayed update is recognised.</summary>
/// <remarks>Not thread-safe: owned by the coordinator loop.</remarks>
public sealed class NonceLedger(int capacity = 100_000)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Nonces remembered.</summary>
    public int Count => _seen.Count;

    /// <summary>Records <paramref name="nonce"/>; false when it was already there (a replay).</summary>
    public bool TryAdd(string nonce)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        if (!_seen.Add(nonce)) return false;
        _order.Enqueue(nonce);
        if (_order.Count > capacity) _seen.Remove(_order.Dequeue());
        return true;
    }
}
