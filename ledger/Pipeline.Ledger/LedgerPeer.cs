using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Pipeline.Chaincode;

namespace Pipeline.Ledger;

/// <summary>
/// One embedded ledger peer: a verified block file, a RocksDB world state, the contract, and a
/// bounded set of worker slots for evaluations and endorsements. It reports its own load.
/// </summary>
/// <remarks>
/// Evaluations and endorsements wait for a free worker slot (so a peer really saturates) and run
/// on the thread pool while they hold it. Commits come from the orderer, one block at a time, and do
/// not take a worker slot. Thread-safe. Dispose waits for running work to finish.
/// </remarks>
public sealed class LedgerPeer : IDisposable
{
    private const int MemorySampleMilliseconds = 200;

    private readonly BlockStore _blocks;
    private readonly WorldState _state;
    private readonly WorkerSlots _slots;
    private readonly IContract _contract;
    private readonly LedgerOptions _options;
    private readonly Lock _commitGate = new();
    private readonly ManualResetEventSlim _drained = new(false);
    private int _operations;
    private int _disposed;
    private long _inFlightBytes;
    private long _memorySampleTicks;
    private long _memorySample;

    private LedgerPeer(string id, string directory, BlockStore blocks, WorldState state, IContract contract, LedgerOptions options)
    {
        Id = id;
        Directory = directory;
        _blocks = blocks;
        _state = state;
        _contract = contract;
        _options = options;
        _slots = new WorkerSlots(options.WorkerSlots, options.LoadWindow);
    }

    /// <summary>Peer id, e.g. <c>peer0</c>.</summary>
    public string Id { get; }

    /// <summary>Directory holding <c>blocks.dat</c> and <c>state/</c>.</summary>
    public string Directory { get; }

    /// <summary>Committed blocks.</summary>
    public long Height => _blocks.Height;

    /// <summary>Hash of the last committed block (64 zeros when none).</summary>
    public string LastBlockHash => _blocks.LastHash;

    /// <summary>Worker slot capacity.</summary>
    public int WorkerSlots => _slots.Capacity;

    /// <summary>
    /// Runs <paramref name="function"/> read-only on this peer (a Fabric evaluate): writes are
    /// simulated and discarded. Waits for a worker slot first.
    /// </summary>
    /// <returns>The contract's JSON response.</returns>
    /// <exception cref="ContractException">The contract refused the call.</exception>
    public async Task<byte[]> EvaluateAsync(string function, IReadOnlyList<string> args, ClientIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(function);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(identity);
        var txId = NewTxId(identity);
        var (payload, _) = await RunAsync(function, args, identity, txId, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        return payload;
    }

    /// <summary>Current load: worker-slot busy %, memory % of the budget, in-flight and waiting requests.</summary>
    public PeerLoad GetLoad()
    {
        var memory = MemoryBytes();
        var (inFlight, waiting) = _slots.Occupancy();
        return new PeerLoad(
            Id,
            Math.Round(_slots.BusyPercent(), 2),
            Math.Round(Math.Min(100.0, 100.0 * memory / _options.MemoryBudgetBytes), 2),
            inFlight,
            waiting,
            _slots.Capacity,
            memory,
            _slots.Completed,
            _blocks.Height,
            DateTimeOffset.UtcNow);
    }

    /// <summary>SHA-256 over the whole world state (keys, versions, values); equal on replicas at the same height.</summary>
    public string ComputeStateHash()
    {
        Enter();
        try
        {
            lock (_commitGate)
            {
                return _state.ComputeStateHash();
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Validation code of a committed transaction, or null when this peer has not seen it.</summary>
    public TxValidationCode? GetTransactionStatus(string txId)
    {
        Enter();
        try
        {
            return _state.GetTxCode(txId);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Validation code, block number and position in the block of a committed transaction, or null.</summary>
    internal (TxValidationCode Code, long BlockNumber, int TxNumber)? GetTransactionCommit(string txId)
    {
        Enter();
        try
        {
            return _state.GetTxRecord(txId);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Evaluates with the transaction id and timestamp of a client's signed proposal (the Gateway path).</summary>
    internal async Task<byte[]> EvaluateProposalAsync(
        string function, IReadOnlyList<string> args, ClientIdentity identity, string txId, DateTimeOffset timestamp, CancellationToken cancellationToken)
    {
        var (payload, _) = await RunAsync(function, args, identity, txId, timestamp, cancellationToken).ConfigureAwait(false);
        return payload;
    }

    /// <summary>Closes the block file and the world state after running work completes.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _operations) == 0)
        {
            _drained.Set();
        }

        _drained.Wait(TimeSpan.FromSeconds(30));
        _state.Dispose();
        _blocks.Dispose();
        _slots.Dispose();
        _drained.Dispose();
    }

    /// <summary>Opens a peer directory: verifies the block file, then replays blocks the state has not applied.</summary>
    internal static LedgerPeer Open(string id, string directory, IContract contract, LedgerOptions options, ILogger logger)
    {
        System.IO.Directory.CreateDirectory(directory);
        var blocks = BlockStore.Open(Path.Combine(directory, BlockStore.FileName), options.SyncWrites);
        WorldState? state = null;
        try
        {
            state = WorldState.Open(Path.Combine(directory, "state"), options);
            var savepoint = state.Savepoint;
            if (savepoint >= blocks.Height)
            {
                throw new LedgerCorruptionException(
                    blocks.Height, state.Path, $"world state is at block {savepoint} but the block file ends before block {blocks.Height}");
            }

            for (var number = savepoint + 1; number < blocks.Height; number++)
            {
                state.Apply(blocks.Read(number));
            }

            LedgerLog.PeerOpened(logger, id, blocks.Height, savepoint + 1 < blocks.Height ? blocks.Height - savepoint - 1 : 0);
            return new LedgerPeer(id, directory, blocks, state, contract, options);
        }
        catch
        {
            state?.Dispose();
            blocks.Dispose();
            throw;
        }
    }

    /// <summary>Simulates a proposal on this peer and returns its read/write set.</summary>
    internal Task<EndorsedTransaction> EndorseAsync(
        string function, IReadOnlyList<string> args, ClientIdentity identity, CancellationToken cancellationToken) =>
        EndorseAsync(function, args, identity, NewTxId(identity), DateTimeOffset.UtcNow, cancellationToken);

    /// <summary>Simulates a proposal with the transaction id and timestamp the client chose (the Gateway path).</summary>
    internal async Task<EndorsedTransaction> EndorseAsync(
        string function, IReadOnlyList<string> args, ClientIdentity identity, string txId, DateTimeOffset timestamp, CancellationToken cancellationToken)
    {
        try
        {
            var (payload, stub) = await RunAsync(function, args, identity, txId, timestamp, cancellationToken).ConfigureAwait(false);
            var tx = new LedgerTransaction
            {
                TxId = txId,
                ChannelId = _options.ChannelName,
                Function = function,
                Args = args.ToArray(),
                Creator = identity,
                Timestamp = timestamp,
                EndorserId = Id,
                Reads = stub.Reads,
                Writes = stub.Writes,
                Event = stub.Event,
            };
            return new EndorsedTransaction(tx, payload);
        }
        catch (ContractException ex)
        {
            throw new EndorsementException(txId, Id, ex);
        }
    }

    /// <summary>Appends an ordered block, validates and commits it; returns the validation codes.</summary>
    internal IReadOnlyList<TxValidationCode> Commit(Block block)
    {
        Enter();
        try
        {
            lock (_commitGate)
            {
                // Block file first: a crash between the two is repaired by the replay in Open.
                _blocks.Append(block);
                return _state.Apply(block);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Reads a committed block (for a replica catching up).</summary>
    internal Block ReadBlock(long number)
    {
        Enter();
        try
        {
            return _blocks.Read(number);
        }
        finally
        {
            Exit();
        }
    }

    private async Task<(byte[] Payload, (IReadOnlyList<ReadSetEntry> Reads, IReadOnlyList<WriteSetEntry> Writes, ChaincodeEvent? Event) Stub)> RunAsync(
        string function, IReadOnlyList<string> args, ClientIdentity identity, string txId, DateTimeOffset timestamp, CancellationToken cancellationToken)
    {
        Enter();
        var requestBytes = args.Sum(a => (long)a.Length * sizeof(char)) + function.Length * sizeof(char);
        Interlocked.Add(ref _inFlightBytes, requestBytes);
        try
        {
            using var lease = await _slots.AcquireAsync(cancellationToken).ConfigureAwait(false);
            return await Task.Run(
                () =>
                {
                    using var stub = new SimulationStub(_state, _options.ChannelName, txId, timestamp, identity);
                    var payload = _contract.Invoke(stub, function, args);
                    return (payload, (stub.ReadSet(), stub.WriteSet(), stub.Event));
                },
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Add(ref _inFlightBytes, -requestBytes);
            Exit();
        }
    }

    private long MemoryBytes()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _memorySampleTicks) >= MemorySampleMilliseconds && Volatile.Read(ref _disposed) == 0)
        {
            Enter();
            try
            {
                Interlocked.Exchange(ref _memorySample, _state.MemoryBytes());
                Interlocked.Exchange(ref _memorySampleTicks, now);
            }
            finally
            {
                Exit();
            }
        }

        return Interlocked.Read(ref _memorySample) + Interlocked.Read(ref _inFlightBytes);
    }

    private void Enter()
    {
        Interlocked.Increment(ref _operations);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Exit();
            throw new ObjectDisposedException(nameof(LedgerPeer), $"peer {Id} is closed");
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _operations) == 0 && Volatile.Read(ref _disposed) != 0)
        {
            _drained.Set();
        }
    }

    private static string NewTxId(ClientIdentity identity)
    {
        // As in Fabric: SHA-256 over a random nonce and the creator.
        Span<byte> nonce = stackalloc byte[24];
        RandomNumberGenerator.Fill(nonce);
        var creator = System.Text.Encoding.UTF8.GetBytes(identity.MspId + "/" + identity.Id);
        var buffer = new byte[nonce.Length + creator.Length];
        nonce.CopyTo(buffer);
        creator.CopyTo(buffer, nonce.Length);
        return Convert.ToHexStringLower(SHA256.HashData(buffer));
    }
}
