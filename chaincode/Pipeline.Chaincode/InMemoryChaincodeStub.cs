using System.Globalization;

namespace Pipeline.Chaincode;

/// <summary>
/// An in-process stub for unit tests and tooling: ordinal-sorted state in memory, history per key,
/// events recorded in order. Writes apply at once (no endorsement, ordering or MVCC).
/// </summary>
/// <remarks>
/// Unlike a ledger peer, a read after a write in the same transaction sees the write. Not thread-safe.
/// Call <see cref="BeginTransaction"/> before each contract call to set the caller, id and time.
/// </remarks>
public sealed class InMemoryChaincodeStub : IChaincodeStub
{
    private readonly SortedDictionary<string, byte[]> _state = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<KeyModification>> _history = new(StringComparer.Ordinal);
    private readonly List<ChaincodeEvent> _events = [];
    private long _txCounter;

    public InMemoryChaincodeStub(string channelId = "whitelist")
    {
        ChannelId = channelId;
        Creator = ClientIdentity.Admin("admin", "Org1MSP");
        TxTimestamp = DateTimeOffset.UnixEpoch;
        TxId = string.Empty;
    }

    /// <inheritdoc />
    public string TxId { get; private set; }

    /// <inheritdoc />
    public DateTimeOffset TxTimestamp { get; private set; }

    /// <inheritdoc />
    public ClientIdentity Creator { get; private set; }

    /// <inheritdoc />
    public string ChannelId { get; }

    /// <summary>Events set so far, in transaction order.</summary>
    public IReadOnlyList<ChaincodeEvent> Events => _events;

    /// <summary>Number of keys in the state.</summary>
    public int Count => _state.Count;

    /// <summary>Starts a new transaction by <paramref name="creator"/> at <paramref name="timestamp"/> (default: one second after the last).</summary>
    public InMemoryChaincodeStub BeginTransaction(ClientIdentity creator, DateTimeOffset? timestamp = null)
    {
        ArgumentNullException.ThrowIfNull(creator);
        _txCounter++;
        Creator = creator;
        TxId = "tx" + _txCounter.ToString("D6", CultureInfo.InvariantCulture);
        TxTimestamp = timestamp ?? DateTimeOffset.UnixEpoch.AddSeconds(_txCounter);
        return this;
    }

    /// <inheritdoc />
    public byte[]? GetState(string key)
    {
        ValidateKey(key);
        return _state.TryGetValue(key, out var value) ? value.ToArray() : null;
    }

    /// <inheritdoc />
    public void PutState(string key, byte[] value)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(value);
        _state[key] = value.ToArray();
        Record(key, new KeyModification(TxId, TxTimestamp, false, value.ToArray()));
    }

    /// <inheritdoc />
    public void DelState(string key)
    {
        ValidateKey(key);
        if (_state.Remove(key))
        {
            Record(key, new KeyModification(TxId, TxTimestamp, true, []));
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<StateEntry> GetStateByRange(string startKey, string endKey) =>
        Range(startKey, endKey).Select(kv => new StateEntry(kv.Key, kv.Value.ToArray())).ToList();

    /// <inheritdoc />
    public StatePage GetStateByRangeWithPagination(string startKey, string endKey, int pageSize, string bookmark)
    {
        if (pageSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "page size must be positive");
        }

        var from = string.CompareOrdinal(bookmark, startKey) > 0 ? bookmark : startKey;
        var entries = Range(from, endKey).Take(pageSize + 1).ToList();
        var next = entries.Count > pageSize ? entries[pageSize].Key : string.Empty;
        return new StatePage(
            entries.Take(pageSize).Select(kv => new StateEntry(kv.Key, kv.Value.ToArray())).ToList(),
            next);
    }

    /// <inheritdoc />
    public IReadOnlyList<KeyModification> GetHistoryForKey(string key)
    {
        ValidateKey(key);
        return _history.TryGetValue(key, out var list) ? list.ToList() : [];
    }

    /// <inheritdoc />
    public void SetEvent(string name, byte[] payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(payload);
        _events.Add(new ChaincodeEvent(name, payload.ToArray()));
    }

    private IEnumerable<KeyValuePair<string, byte[]>> Range(string startKey, string endKey) =>
        _state.Where(kv => string.CompareOrdinal(kv.Key, startKey) >= 0
            && (endKey.Length == 0 || string.CompareOrdinal(kv.Key, endKey) < 0));

    private void Record(string key, KeyModification modification)
    {
        if (!_history.TryGetValue(key, out var list))
        {
            list = [];
            _history[key] = list;
        }

        list.Add(modification);
    }

    private static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"key '{key}' is empty or contains a NUL character", nameof(key));
        }
    }
}
