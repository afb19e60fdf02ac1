using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pipeline.Chaincode;
using RocksDbSharp;

namespace Pipeline.Ledger;

/// <summary>
/// A peer's world state in RocksDB: current values with their versions, a history index per key,
/// the validation code of every transaction and the last committed block (savepoint).
/// </summary>
/// <remarks>
/// Layout: <c>'s' key</c> → version (8-byte block, 4-byte tx, big-endian) + value;
/// <c>'h' key 0x00 block tx</c> → history record; <c>'t' txid</c> → code + block + tx;
/// <c>'m' "savepoint"</c> → last committed block. A block's effects are one atomic write batch.
/// Writes come from the single committing thread; reads from any thread.
/// </remarks>
internal sealed class WorldState : IDisposable
{
    private const byte StatePrefix = (byte)'s';
    private const byte HistoryPrefix = (byte)'h';
    private const byte TxPrefix = (byte)'t';
    private static readonly byte[] SavepointKey = Encoding.ASCII.GetBytes("msavepoint");

    private readonly RocksDb _db;
    private readonly Cache _cache;
    private readonly WriteOptions _writeOptions;
    private readonly string _channel;

    private WorldState(string path, RocksDb db, Cache cache, WriteOptions writeOptions, string channel)
    {
        Path = path;
        _db = db;
        _cache = cache;
        _writeOptions = writeOptions;
        _channel = channel;
    }

    public string Path { get; }

    /// <summary>Last committed block, or -1.</summary>
    public long Savepoint
    {
        get
        {
            var bytes = _db.Get(SavepointKey);
            return bytes is null ? -1 : BinaryPrimitives.ReadInt64BigEndian(bytes);
        }
    }

    public static WorldState Open(string path, LedgerOptions options)
    {
        var cache = Cache.CreateLru((ulong)options.BlockCacheBytes);
        var table = new BlockBasedTableOptions().SetBlockCache(cache).SetCacheIndexAndFilterBlocks(true);
        var dbOptions = new DbOptions()
            .SetCreateIfMissing(true)
            .SetParanoidChecks(true)
            .SetWriteBufferSize((ulong)options.WriteBufferBytes)
            .SetMaxWriteBufferNumber(2)
            .SetKeepLogFileNum(2)
            .SetMaxOpenFiles(256)
            .SetBlockBasedTableFactory(table);
        RocksDb db;
        try
        {
            db = RocksDb.Open(dbOptions, path);
        }
        catch (RocksDbException ex)
        {
            throw new IOException($"cannot open world state {path}: {ex.Message} (is another process using this ledger directory?)", ex);
        }

        return new WorldState(path, db, cache, new WriteOptions().SetSync(options.SyncWrites), options.ChannelName);
    }

    public Snapshot CreateSnapshot() => _db.CreateSnapshot();

    public (byte[] Value, StateVersion Version)? Get(string key, ReadOptions? readOptions)
    {
        var raw = _db.Get(StateKey(key), null, readOptions);
        return raw is null ? null : (raw[12..], DecodeVersion(raw));
    }

    public StateVersion? GetVersion(string key) => Get(key, null)?.Version;

    /// <summary>Entries with start &lt;= key &lt; end (empty end: to the last key), ordinal UTF-8 order.</summary>
    public IEnumerable<(string Key, byte[] Value, StateVersion Version)> Range(string startKey, string endKey, ReadOptions? readOptions)
    {
        var start = StateKey(startKey);
        var end = endKey.Length == 0 ? [(byte)(StatePrefix + 1)] : StateKey(endKey);
        using var iterator = _db.NewIterator(null, readOptions);
        for (iterator.Seek(start); iterator.Valid(); iterator.Next())
        {
            var key = iterator.Key();
            if (key.AsSpan().SequenceCompareTo(end) >= 0)
            {
                yield break;
            }

            var raw = iterator.Value();
            yield return (Encoding.UTF8.GetString(key, 1, key.Length - 1), raw[12..], DecodeVersion(raw));
        }
    }

    public IReadOnlyList<KeyModification> History(string key, ReadOptions? readOptions)
    {
        var prefix = HistoryKeyPrefix(key);
        var result = new List<KeyModification>();
        using var iterator = _db.NewIterator(null, readOptions);
        for (iterator.Seek(prefix); iterator.Valid(); iterator.Next())
        {
            if (!iterator.GetKeySpan().StartsWith(prefix))
            {
                break;
            }

            result.Add(JsonSerializer.Deserialize<KeyModification>(iterator.GetValueSpan(), LedgerJson.Options)
                ?? throw new LedgerCorruptionException(-1, Path, $"empty history record for key '{key}'"));
        }

        return result;
    }

    /// <summary>Validation code, block and position of a committed transaction, or null when unknown.</summary>
    public (TxValidationCode Code, long BlockNumber, int TxNumber)? GetTxRecord(string txId)
    {
        var raw = _db.Get(TxKey(txId));
        if (raw is null)
        {
            return null;
        }

        if (raw.Length < 13)
        {
            return ((TxValidationCode)raw[0], -1, -1);
        }

        return ((TxValidationCode)raw[0], BinaryPrimitives.ReadInt64BigEndian(raw.AsSpan(1)), BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(9)));
    }

    public TxValidationCode? GetTxCode(string txId)
    {
        var raw = _db.Get(TxKey(txId));
        return raw is null ? null : (TxValidationCode)raw[0];
    }

    /// <summary>Validates every transaction of <paramref name="block"/> (MVCC) and commits the valid ones atomically.</summary>
    public IReadOnlyList<TxValidationCode> Apply(Block block)
    {
        var codes = new TxValidationCode[block.Transactions.Count];
        var pending = new Dictionary<string, StateVersion?>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var batch = new WriteBatch();
        for (var i = 0; i < block.Transactions.Count; i++)
        {
            var tx = block.Transactions[i];
            var code = Validate(tx, pending, seen);
            codes[i] = code;
            if (code == TxValidationCode.DuplicateTxId)
            {
                continue; // keep the original transaction's record
            }

            seen.Add(tx.TxId);
            var version = new StateVersion(block.Number, i);
            if (code == TxValidationCode.Valid)
            {
                foreach (var write in tx.Writes)
                {
                    var stateKey = StateKey(write.Key);
                    if (write.IsDelete)
                    {
                        batch.Delete(stateKey);
                        pending[write.Key] = null;
                    }
                    else
                    {
                        batch.Put(stateKey, EncodeValue(version, write.Value));
                        pending[write.Key] = version;
                    }

                    var record = new KeyModification(tx.TxId, tx.Timestamp, write.IsDelete, write.IsDelete ? [] : write.Value);
                    batch.Put(HistoryKey(write.Key, version), JsonSerializer.SerializeToUtf8Bytes(record, LedgerJson.Options));
                }
            }

            var txRecord = new byte[13];
            txRecord[0] = (byte)code;
            BinaryPrimitives.WriteInt64BigEndian(txRecord.AsSpan(1), block.Number);
            BinaryPrimitives.WriteInt32BigEndian(txRecord.AsSpan(9), i);
            batch.Put(TxKey(tx.TxId), txRecord);
        }

        var savepoint = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(savepoint, block.Number);
        batch.Put(SavepointKey, savepoint);
        _db.Write(batch, _writeOptions);
        return codes;
    }

    /// <summary>SHA-256 over every current key, version and value in key order: equal on replicas in step.</summary>
    public string ComputeStateHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var iterator = _db.NewIterator();
        Span<byte> length = stackalloc byte[4];
        for (iterator.Seek([StatePrefix]); iterator.Valid(); iterator.Next())
        {
            var key = iterator.GetKeySpan();
            if (key[0] != StatePrefix)
            {
                break;
            }

            var value = iterator.GetValueSpan();
            BinaryPrimitives.WriteInt32BigEndian(length, key.Length);
            hash.AppendData(length);
            hash.AppendData(key);
            BinaryPrimitives.WriteInt32BigEndian(length, value.Length);
            hash.AppendData(length);
            hash.AppendData(value);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Bytes RocksDB holds in memory: memtables, block cache and table readers.</summary>
    public long MemoryBytes()
    {
        static long Property(RocksDb db, string name) =>
            long.TryParse(db.GetProperty(name), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;

        return Property(_db, "rocksdb.cur-size-all-mem-tables")
            + Property(_db, "rocksdb.estimate-table-readers-mem")
            + (long)_cache.GetUsage();
    }

    public void Dispose() => _db.Dispose();

    private TxValidationCode Validate(LedgerTransaction tx, Dictionary<string, StateVersion?> pending, HashSet<string> seen)
    {
        if (!string.Equals(tx.ChannelId, _channel, StringComparison.Ordinal))
        {
            return TxValidationCode.WrongChannel;
        }

        if (seen.Contains(tx.TxId) || GetTxCode(tx.TxId) is not null)
        {
            return TxValidationCode.DuplicateTxId;
        }

        foreach (var read in tx.Reads)
        {
            var current = pending.TryGetValue(read.Key, out var written) ? written : GetVersion(read.Key);
            if (current != read.Version)
            {
                return TxValidationCode.MvccReadConflict;
            }
        }

        return TxValidationCode.Valid;
    }

    private static byte[] StateKey(string key) => Prefixed(StatePrefix, key, 0);

    private static byte[] TxKey(string txId) => Prefixed(TxPrefix, txId, 0);

    private static byte[] HistoryKeyPrefix(string key)
    {
        var bytes = Prefixed(HistoryPrefix, key, 1);
        bytes[^1] = 0;
        return bytes;
    }

    private static byte[] HistoryKey(string key, StateVersion version)
    {
        var prefix = HistoryKeyPrefix(key);
        var bytes = new byte[prefix.Length + 12];
        prefix.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(prefix.Length), version.BlockNumber);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(prefix.Length + 8), version.TxNumber);
        return bytes;
    }

    private static byte[] Prefixed(byte prefix, string text, int extra)
    {
        var bytes = new byte[1 + Encoding.UTF8.GetByteCount(text) + extra];
        bytes[0] = prefix;
        Encoding.UTF8.GetBytes(text, bytes.AsSpan(1));
        return bytes;
    }

    private static byte[] EncodeValue(StateVersion version, byte[] value)
    {
        var bytes = new byte[12 + value.Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, version.BlockNumber);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), version.TxNumber);
        value.CopyTo(bytes, 12);
        return bytes;
    }

    private static StateVersion DecodeVersion(byte[] raw) =>
        new(BinaryPrimitives.ReadInt64BigEndian(raw), BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(8)));
}
