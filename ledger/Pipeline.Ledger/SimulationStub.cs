using Pipeline.Chaincode;
using RocksDbSharp;

namespace Pipeline.Ledger;

/// <summary>
/// The stub a peer hands the contract while simulating a proposal: reads come from one RocksDB
/// snapshot (the committed state), writes are only recorded, giving the read/write set.
/// </summary>
/// <remarks>As in Fabric, a transaction does not read its own writes. Range reads record the versions
/// of the keys they return, not the range itself (no phantom protection).</remarks>
internal sealed class SimulationStub : IChaincodeStub, IDisposable
{
    private readonly WorldState _state;
    private readonly Snapshot _snapshot;
    private readonly ReadOptions _readOptions;
    private readonly Dictionary<string, StateVersion?> _reads = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, WriteSetEntry> _writes = new(StringComparer.Ordinal);

    public SimulationStub(WorldState state, string channelId, string txId, DateTimeOffset timestamp, ClientIdentity creator)
    {
        _state = state;
        ChannelId = channelId;
        TxId = txId;
        TxTimestamp = timestamp;
        Creator = creator;
        _snapshot = state.CreateSnapshot();
        _readOptions = new ReadOptions().SetSnapshot(_snapshot);
    }

    public string TxId { get; }

    public DateTimeOffset TxTimestamp { get; }

    public ClientIdentity Creator { get; }

    public string ChannelId { get; }

    public ChaincodeEvent? Event { get; private set; }

    public byte[]? GetState(string key)
    {
        ValidateKey(key);
        var entry = _state.Get(key, _readOptions);
        _reads.TryAdd(key, entry?.Version);
        return entry?.Value;
    }

    public void PutState(string key, byte[] value)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(value);
        _writes[key] = new WriteSetEntry(key, false, value.ToArray());
    }

    public void DelState(string key)
    {
        ValidateKey(key);
        _writes[key] = new WriteSetEntry(key, true, []);
    }

    public IReadOnlyList<StateEntry> GetStateByRange(string startKey, string endKey) =>
        _state.Range(startKey, endKey, _readOptions).Select(Record).ToList();

    public StatePage GetStateByRangeWithPagination(string startKey, string endKey, int pageSize, string bookmark)
    {
        if (pageSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "page size must be positive");
        }

        var from = string.CompareOrdinal(bookmark, startKey) > 0 ? bookmark : startKey;
        var entries = _state.Range(from, endKey, _readOptions).Take(pageSize + 1).ToList();
        var next = entries.Count > pageSize ? entries[pageSize].Key : string.Empty;
        return new StatePage(entries.Take(pageSize).Select(Record).ToList(), next);
    }

    public IReadOnlyList<KeyModification> GetHistoryForKey(string key)
    {
        ValidateKey(key);
        return _state.History(key, _readOptions);
    }

    public void SetEvent(string name, byte[] payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(payload);
        Event = new ChaincodeEvent(name, payload.ToArray());
    }

    public IReadOnlyList<ReadSetEntry> ReadSet() =>
        _reads.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new ReadSetEntry(r.Key, r.Value)).ToList();

    public IReadOnlyList<WriteSetEntry> WriteSet() => _writes.Values.ToList();

    public void Dispose() => _snapshot.Dispose();

    private StateEntry Record((string Key, byte[] Value, StateVersion Version) entry)
    {
        _reads.TryAdd(entry.Key, entry.Version);
        return new StateEntry(entry.Key, entry.Value);
    }

    private static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"key '{key}' is empty or contains a NUL character", nameof(key));
        }
    }
}
