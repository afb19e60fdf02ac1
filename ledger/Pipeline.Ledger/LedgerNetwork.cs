using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Chaincode;

namespace Pipeline.Ledger;

/// <summary>
/// The embedded ledger: N peers replicating one chain in a data directory, and one in-process
/// orderer. Evaluate runs on one peer; Submit endorses on one peer, orders, and commits on all.
/// </summary>
/// <remarks>
/// Layout: <c>&lt;DataDirectory&gt;/peer&lt;n&gt;/blocks.dat</c> and <c>.../state/</c>. Starting
/// reopens and verifies existing peers; a missing or lagging peer catches up from the block file of
/// the tallest one. <see cref="AddPeerAsync"/> adds a replica while the network runs (scale-up).
/// One process at a time may open a data directory (RocksDB holds a lock). Thread-safe.
/// </remarks>
public sealed class LedgerNetwork : IAsyncDisposable
{
    /// <summary>Prefix of peer ids and directories.</summary>
    public const string PeerPrefix = "peer";

    /// <summary>File in the data directory held exclusively while a network runs.</summary>
    public const string LockFileName = "ledger.lock";

    private readonly SemaphoreSlim _delivery = new(1, 1);
    private readonly IContract _contract;
    private readonly ILogger _logger;
    private readonly Orderer _orderer;
    private readonly FileStream _directoryLock;
    private volatile LedgerPeer[] _peers;
    private int _nextPeerIndex;
    private long _roundRobin;

    private LedgerNetwork(LedgerOptions options, IContract contract, ILogger logger, LedgerPeer[] peers, FileStream directoryLock)
    {
        Options = options;
        _directoryLock = directoryLock;
        _contract = contract;
        _logger = logger;
        _peers = peers;
        _nextPeerIndex = peers.Length;
        var tallest = peers[0];
        _orderer = new Orderer(options, tallest.Height, tallest.LastBlockHash, DeliverAsync, logger);
    }

    /// <summary>
    /// Raised once per block after every peer committed it, with the validation codes, on the
    /// delivery path: handlers must not block (the Gateway's commit status and event streams hand the
    /// block to their own queues).
    /// </summary>
    internal event Action<Block, IReadOnlyList<TxValidationCode>>? BlockCommitted;

    /// <summary>Name of the contract (chaincode) the peers run.</summary>
    public string ContractName => _contract.Name;

    /// <summary>The configuration the network runs with.</summary>
    public LedgerOptions Options { get; }

    /// <summary>Running peers, in id order.</summary>
    public IReadOnlyList<LedgerPeer> Peers => Array.AsReadOnly(_peers);

    /// <summary>Committed height (all peers are at it between blocks).</summary>
    public long Height => _peers[0].Height;

    /// <summary>
    /// Starts <see cref="LedgerOptions.Peers"/> peers (<c>peer0</c>..) in <see cref="LedgerOptions.DataDirectory"/>,
    /// verifying what is on disk and catching up lagging replicas.
    /// </summary>
    /// <param name="options">Configuration; validated.</param>
    /// <param name="contract">Contract the peers run (default: <see cref="WhitelistContract"/>).</param>
    /// <param name="loggerFactory">Logging (default: none).</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <exception cref="LedgerCorruptionException">A peer's block file or state failed verification.</exception>
    public static async Task<LedgerNetwork> StartAsync(
        LedgerOptions options,
        IContract? contract = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        contract ??= new WhitelistContract();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<LedgerNetwork>();
        Directory.CreateDirectory(options.DataDirectory);
        var directoryLock = LockDirectory(options.DataDirectory);

        var peers = new List<LedgerPeer>();
        try
        {
            for (var i = 0; i < options.Peers; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var id = PeerPrefix + i.ToString(CultureInfo.InvariantCulture);
                var peer = await Task.Run(
                    () => LedgerPeer.Open(id, Path.Combine(options.DataDirectory, id), contract, options, logger),
                    cancellationToken).ConfigureAwait(false);
                peers.Add(peer);
            }

            var tallest = peers.MaxBy(p => p.Height)!;
            foreach (var peer in peers.Where(p => p != tallest))
            {
                await Task.Run(() => CatchUp(peer, tallest, logger), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            foreach (var peer in peers)
            {
                peer.Dispose();
            }

            await directoryLock.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Peer 0 is the tallest after catch-up, so the orderer continues its chain.
        var network = new LedgerNetwork(options, contract, logger, [.. peers], directoryLock);
        LedgerLog.NetworkStarted(logger, options.DataDirectory, peers.Count, network.Height);
        return network;
    }

    /// <summary>Number of peer directories already in <paramref name="dataDirectory"/> (0 when none).</summary>
    public static int CountExistingPeers(string dataDirectory)
    {
        var count = 0;
        while (Directory.Exists(Path.Combine(dataDirectory, PeerPrefix + count.ToString(CultureInfo.InvariantCulture))))
        {
            count++;
        }

        return count;
    }

    /// <summary>Finds a running peer by id.</summary>
    public LedgerPeer GetPeer(string peerId) =>
        _peers.FirstOrDefault(p => p.Id == peerId)
        ?? throw new KeyNotFoundException($"no peer '{peerId}' in this network ({string.Join(", ", _peers.Select(p => p.Id))})");

    /// <summary>Load of every peer.</summary>
    public IReadOnlyList<PeerLoad> GetLoads() => _peers.Select(p => p.GetLoad()).ToList();

    /// <summary>Evaluates on the next peer in round-robin order (callers that choose peers use <see cref="LedgerPeer.EvaluateAsync"/>).</summary>
    public Task<byte[]> EvaluateAsync(string function, IReadOnlyList<string> args, ClientIdentity identity, CancellationToken cancellationToken) =>
        NextPeer().EvaluateAsync(function, args, identity, cancellationToken);

    /// <summary>Simulates a proposal on <paramref name="endorser"/> (default: round robin), without ordering it.</summary>
    /// <exception cref="EndorsementException">The contract refused it.</exception>
    public Task<EndorsedTransaction> EndorseAsync(
        string function,
        IReadOnlyList<string> args,
        ClientIdentity identity,
        LedgerPeer? endorser,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(function);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(identity);
        return (endorser ?? NextPeer()).EndorseAsync(function, args, identity, cancellationToken);
    }

    /// <summary>Orders an endorsed transaction; completes when every peer committed it, with its validation code.</summary>
    public Task<SubmitResult> SubmitAsync(EndorsedTransaction endorsed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endorsed);
        return _orderer.SubmitAsync(endorsed, cancellationToken);
    }

    /// <summary>Endorse, order, validate and commit on all peers.</summary>
    /// <exception cref="EndorsementException">The contract refused it (nothing was ordered).</exception>
    public async Task<SubmitResult> SubmitAsync(string function, IReadOnlyList<string> args, ClientIdentity identity, CancellationToken cancellationToken)
    {
        var endorsed = await EndorseAsync(function, args, identity, null, cancellationToken).ConfigureAwait(false);
        return await SubmitAsync(endorsed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts one more replica (<c>peer&lt;n&gt;</c>), catches it up from an existing peer's block file,
    /// and adds it to block delivery.
    /// </summary>
    public async Task<LedgerPeer> AddPeerAsync(CancellationToken cancellationToken)
    {
        var index = Interlocked.Increment(ref _nextPeerIndex) - 1;
        var id = PeerPrefix + index.ToString(CultureInfo.InvariantCulture);
        var source = _peers[0];

        // Copy most of the chain while blocks keep flowing, then the rest with delivery paused.
        var peer = await Task.Run(
            () =>
            {
                var opened = LedgerPeer.Open(id, Path.Combine(Options.DataDirectory, id), _contract, Options, _logger);
                try
                {
                    CatchUp(opened, source, _logger);
                    return opened;
                }
                catch
                {
                    opened.Dispose();
                    throw;
                }
            },
            cancellationToken).ConfigureAwait(false);
        try
        {
            await _delivery.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            peer.Dispose();
            throw;
        }

        try
        {
            CatchUp(peer, source, _logger);
            _peers = [.. _peers, peer];
            LedgerLog.PeerAdded(_logger, id, _peers.Length);
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
        finally
        {
            _delivery.Release();
        }
    }

    /// <summary>Stops the orderer (pending transactions are still committed), then closes every peer.</summary>
    public async ValueTask DisposeAsync()
    {
        await _orderer.DisposeAsync().ConfigureAwait(false);
        await _delivery.WaitAsync().ConfigureAwait(false);
        foreach (var peer in _peers)
        {
            peer.Dispose();
        }

        _delivery.Dispose();
        await _directoryLock.DisposeAsync().ConfigureAwait(false);
    }

    private static FileStream LockDirectory(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, LockFileName);
        try
        {
            // FileShare.None takes an exclusive lock that other processes (and other networks in this one) respect.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"ledger data directory {Path.GetFullPath(dataDirectory)} is in use by another ledger network (is 'pipeline ledger up' running on it?)", ex);
        }
    }

    private LedgerPeer NextPeer()
    {
        var peers = _peers;
        var index = (int)((ulong)Interlocked.Increment(ref _roundRobin) % (ulong)peers.Length);
        return peers[index];
    }

    private async Task<IReadOnlyList<TxValidationCode>> DeliverAsync(Block block, CancellationToken cancellationToken)
    {
        await _delivery.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var peers = _peers;
            var results = await Task.WhenAll(peers.Select(p => Task.Run(() => p.Commit(block), cancellationToken))).ConfigureAwait(false);
            for (var i = 1; i < results.Length; i++)
            {
                if (!results[i].SequenceEqual(results[0]))
                {
                    LedgerLog.ValidationDivergence(_logger, block.Number, peers[i].Id, peers[0].Id);
                }
            }

            BlockCommitted?.Invoke(block, results[0]);
            return results[0];
        }
        finally
        {
            _delivery.Release();
        }
    }

    private static void CatchUp(LedgerPeer target, LedgerPeer source, ILogger logger)
    {
        var from = target.Height;
        var to = source.Height;
        if (from > to)
        {
            throw new LedgerCorruptionException(from - 1, target.Directory, $"peer {target.Id} is ahead of {source.Id} (height {from} > {to})");
        }

        if (from > 0 && source.ReadBlock(from - 1).Hash != target.LastBlockHash)
        {
            throw new LedgerCorruptionException(from - 1, target.Directory, $"peer {target.Id} diverges from {source.Id} at block {from - 1}");
        }

        for (var number = from; number < to; number++)
        {
            target.Commit(source.ReadBlock(number));
        }

        if (to > from)
        {
            LedgerLog.PeerCaughtUp(logger, target.Id, source.Id, from, to - 1);
        }
    }
}
