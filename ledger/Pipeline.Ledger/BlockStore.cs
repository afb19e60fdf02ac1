using System.Buffers.Binary;

namespace Pipeline.Ledger;

/// <summary>
/// Append-only block file: per block a 4-byte big-endian length and the block's canonical JSON.
/// Opening it verifies the whole chain and names the first bad block.
/// </summary>
/// <remarks>One writer (the committing peer); reads may come from other threads (replica catch-up).</remarks>
internal sealed class BlockStore : IDisposable
{
    public const string FileName = "blocks.dat";

    private const int MaxBlockBytes = 256 * 1024 * 1024;

    private readonly Lock _gate = new();
    private readonly List<long> _offsets = [];
    private readonly FileStream _file;
    private readonly bool _sync;

    private BlockStore(string path, FileStream file, bool sync)
    {
        Path = path;
        _file = file;
        _sync = sync;
    }

    public string Path { get; }

    /// <summary>Number of blocks (the next block's number).</summary>
    public long Height
    {
        get
        {
            lock (_gate)
            {
                return _offsets.Count;
            }
        }
    }

    /// <summary>Hash of the last block, or 64 zeros when empty.</summary>
    public string LastHash { get; private set; } = BlockCodec.GenesisPreviousHash;

    /// <summary>Opens (creating if missing) and verifies every block.</summary>
    /// <exception cref="LedgerCorruptionException">A block is truncated, unreadable, out of order or its hashes do not match.</exception>
    public static BlockStore Open(string path, bool sync)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 64 * 1024);
        var store = new BlockStore(path, file, sync);
        try
        {
            store.VerifyAll();
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return store;
    }

    public void Append(Block block)
    {
        var bytes = BlockCodec.Serialize(block);
        lock (_gate)
        {
            if (block.Number != _offsets.Count || !string.Equals(block.PreviousHash, LastHash, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"block {block.Number} (previous {block.PreviousHash}) does not extend {Path} at height {_offsets.Count} (last {LastHash})");
            }

            // Blocks may come from another peer's file (catch-up): check the hashes before appending.
            var dataHash = BlockCodec.DataHash(block.Transactions);
            if (dataHash != block.DataHash || BlockCodec.HeaderHash(block.Number, block.PreviousHash, dataHash) != block.Hash)
            {
                throw new LedgerCorruptionException(block.Number, Path, "refusing to append a block whose hashes do not match its content");
            }

            var offset = _file.Length;
            Span<byte> prefix = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, bytes.Length);
            _file.Position = offset;
            _file.Write(prefix);
            _file.Write(bytes);
            _file.Flush(_sync);
            _offsets.Add(offset);
            LastHash = block.Hash;
        }
    }

    /// <summary>Reads block <paramref name="number"/> (verified when the store was opened or appended).</summary>
    public Block Read(long number)
    {
        lock (_gate)
        {
            if (number < 0 || number >= _offsets.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(number), number, $"{Path} holds blocks 0..{_offsets.Count - 1}");
            }

            _file.Position = _offsets[(int)number];
            Span<byte> prefix = stackalloc byte[4];
            _file.ReadExactly(prefix);
            var bytes = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
            _file.ReadExactly(bytes);
            return System.Text.Json.JsonSerializer.Deserialize<Block>(bytes, LedgerJson.Options)
                ?? throw new LedgerCorruptionException(number, Path, "empty block");
        }
    }

    public void Dispose() => _file.Dispose();

    private void VerifyAll()
    {
        var previousHash = BlockCodec.GenesisPreviousHash;
        long number = 0;
        var length = _file.Length;
        long offset = 0;
        Span<byte> prefix = stackalloc byte[4];
        _file.Position = 0;
        while (offset < length)
        {
            if (length - offset < 4)
            {
                throw new LedgerCorruptionException(number, Path, $"truncated length prefix at offset {offset}");
            }

            _file.ReadExactly(prefix);
            var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (size <= 0 || size > MaxBlockBytes || size > length - offset - 4)
            {
                throw new LedgerCorruptionException(number, Path, $"bad block length {size} at offset {offset}");
            }

            var bytes = new byte[size];
            _file.ReadExactly(bytes);
            var reason = BlockCodec.Verify(bytes, number, previousHash, out var block);
            if (reason is not null)
            {
                throw new LedgerCorruptionException(number, Path, reason);
            }

            _offsets.Add(offset);
            previousHash = block!.Hash;
            offset += 4 + size;
            number++;
        }

        LastHash = previousHash;
    }
}
