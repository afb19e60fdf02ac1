namespace Pipeline.Detection;

/// <summary>A bounded map that evicts the least recently used entry when full.</summary>
/// <remarks>Not thread-safe: a featurizer belongs to one consumer (one partition set).</remarks>
internal sealed class LruCache<TValue>(int capacity)
    where TValue : class
{
    private readonly Dictionary<string, LinkedListNode<(string Key, TValue Value)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, TValue Value)> _order = new();

    public int Count => _map.Count;

    public long Evictions { get; private set; }

    public TValue GetOrAdd(string key, Func<TValue> create, out bool created)
    {
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            created = false;
            return node.Value.Value;
        }

        if (_map.Count >= capacity)
        {
            var last = _order.Last!;
            _order.RemoveLast();
            _map.Remove(last.Value.Key);
            Evictions++;
        }

        var value = create();
        _map[key] = _order.AddFirst((key, value));
        created = true;
        return value;
    }
}
