using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>A bounded map that evicts the least recently used entry when full.</summary>
/// <remarks>
/// Not thread-safe: a featurizer belongs to one consumer (one partition set). The recency list is intrusive (each
/// <see cref="Entry"/> is its own list node) and the factories take their state as an argument, so a hit allocates
/// nothing; a caller may keep an <see cref="Entry"/> and <see cref="Touch"/> it later, which is exactly a hit on its key
/// while it is still cached.
/// </remarks>
internal sealed class LruCache<TValue>(int capacity)
    where TValue : class
{
    private readonly Dictionary<string, Entry> _map = new(StringComparer.Ordinal);
    private Entry? _head; // most recently used
    private Entry? _tail; // least recently used

    public int Count => _map.Count;

    public long Evictions { get; private set; }

    public TValue GetOrAdd(string key, Func<TValue> create, out bool created) =>
        GetOrAddEntry(key, create, static (_, create) => create(), out created).Value;

    /// <summary>The entry of <paramref name="key"/>, made most recent; created with
    /// <paramref name="create"/>(key, state) after evicting the least recent entry when the cache is full.</summary>
    public Entry GetOrAddEntry<TState>(string key, TState state, Func<string, TState, TValue> create, out bool created)
    {
        if (_map.TryGetValue(key, out var entry))
        {
            MoveToFront(entry);
            created = false;
            return entry;
        }

        created = true;
        return Add(key, create(key, state));
    }

    /// <summary>As <see cref="GetOrAddEntry{TState}(string, TState, Func{string, TState, TValue}, out bool)"/> for a key
    /// given as characters: the key string is allocated only when the entry is created.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per reading; see DeviceReadingFeaturizer.Device
    public Entry GetOrAddEntry<TState>(ReadOnlySpan<char> key, TState state, Func<string, TState, TValue> create, out bool created)
    {
        if (_map.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var entry))
        {
            MoveToFront(entry);
            created = false;
            return entry;
        }

        created = true;
        var text = key.ToString();
        return Add(text, create(text, state));
    }

    /// <summary>Makes <paramref name="entry"/> the most recent if it is still cached (the same as a hit on its key);
    /// false when it has been evicted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per reading; see DeviceReadingFeaturizer.Device
    public bool Touch(Entry entry)
    {
        if (!entry.Cached) return false;
        MoveToFront(entry);
        return true;
    }

    /// <summary>Removes the entry of <paramref name="key"/>, if cached.</summary>
    public bool Remove(string key)
    {
        if (!_map.Remove(key, out var entry)) return false;
        Unlink(entry);
        entry.Cached = false;
        return true;
    }

    /// <summary>Removes the entries whose key satisfies <paramref name="match"/> (a scan: for rare clean-ups, not per event).</summary>
    public int RemoveWhere(Func<string, bool> match)
    {
        var removed = 0;
        for (var entry = _head; entry is not null;)
        {
            var next = entry.Next;
            if (match(entry.Key))
            {
                Unlink(entry);
                entry.Cached = false;
                _map.Remove(entry.Key);
                removed++;
            }

            entry = next;
        }

        return removed;
    }

    private Entry Add(string key, TValue value)
    {
        if (_map.Count >= capacity)
        {
            var last = _tail!;
            Unlink(last);
            last.Cached = false;
            _map.Remove(last.Key);
            Evictions++;
        }

        var entry = new Entry(key, value) { Cached = true };
        _map[key] = entry;
        LinkFirst(entry);
        return entry;
    }

    private void MoveToFront(Entry entry)
    {
        if (ReferenceEquals(entry, _head)) return;
        Unlink(entry);
        LinkFirst(entry);
    }

    private void Unlink(Entry entry)
    {
        if (entry.Previous is null) _head = entry.Next;
        else entry.Previous.Next = entry.Next;
        if (entry.Next is null) _tail = entry.Previous;
        else entry.Next.Previous = entry.Previous;
        entry.Previous = entry.Next = null;
    }

    private void LinkFirst(Entry entry)
    {
        entry.Next = _head;
        if (_head is not null) _head.Previous = entry;
        _head = entry;
        _tail ??= entry;
    }

    /// <summary>One cached key and value; also the node of the recency list.</summary>
    public sealed class Entry(string key, TValue value)
    {
        public string Key { get; } = key;

        public TValue Value { get; } = value;

        /// <summary>False once evicted; an evicted entry is never cached again (a new entry replaces it).</summary>
        public bool Cached { get; set; }

        internal Entry? Previous { get; set; }

        internal Entry? Next { get; set; }
    }
}
