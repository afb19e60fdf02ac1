using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Pipeline.Ledger.Fabric.Server;

/// <summary>
/// What the gateways of one embedded network share about commits: transactions submitted and not
/// yet committed (CommitStatus awaits them), waiters for transactions submitted elsewhere, and the
/// subscribers of chaincode event streams. Fed by <see cref="LedgerNetwork.BlockCommitted"/>.
/// </summary>
/// <remarks>The block handler runs on the ledger's delivery path, so it only completes tasks and
/// writes to unbounded queues. Thread-safe.</remarks>
internal sealed class CommitTracker : IDisposable
{
    private readonly LedgerNetwork _network;
    private readonly ConcurrentDictionary<string, Task<SubmitResult>> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Waiter, byte> _waiters = new();
    private readonly ConcurrentDictionary<Channel<CommittedBlock>, byte> _subscribers = new();

    public CommitTracker(LedgerNetwork network)
    {
        _network = network;
        network.BlockCommitted += OnBlockCommitted;
    }

    /// <summary>Remembers a transaction handed to the orderer until it commits.</summary>
    public void Track(string txId, Task<SubmitResult> commit)
    {
        _inFlight[txId] = commit;
        commit.ContinueWith(
            t => _inFlight.TryRemove(new KeyValuePair<string, Task<SubmitResult>>(txId, t)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Validation code and block of <paramref name="txId"/>, waiting for its commit if needed.</summary>
    public async Task<(TxValidationCode Code, long BlockNumber)> WaitForCommitAsync(string txId, LedgerPeer peer, CancellationToken cancellationToken)
    {
        if (Known(txId, peer) is { } ready)
        {
            return await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var waiter = new Waiter(txId, new TaskCompletionSource<(TxValidationCode, long)>(TaskCreationOptions.RunContinuationsAsynchronously));
        _waiters[waiter] = 0;
        try
        {
            // Committed between the first look and registering the waiter?
            if (Known(txId, peer) is { } late)
            {
                return await late.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            return await waiter.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _waiters.TryRemove(waiter, out _);
        }
    }

    /// <summary>Blocks committed from now on, until the subscription is disposed.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateUnbounded<CommittedBlock>(new UnboundedChannelOptions { SingleReader = true });
        _subscribers[channel] = 0;
        return new Subscription(channel.Reader, () =>
        {
            _subscribers.TryRemove(channel, out _);
            channel.Writer.TryComplete();
        });
    }

    public void Dispose()
    {
        _network.BlockCommitted -= OnBlockCommitted;
        foreach (var channel in _subscribers.Keys)
        {
            channel.Writer.TryComplete();
        }
    }

    private Task<(TxValidationCode, long)>? Known(string txId, LedgerPeer peer)
    {
        if (_inFlight.TryGetValue(txId, out var pending))
        {
            return pending.ContinueWith(
                t => (t.Result.Code, t.Result.BlockNumber),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return peer.GetTransactionCommit(txId) is { } committed
            ? Task.FromResult((committed.Code, committed.BlockNumber))
            : null;
    }

    private void OnBlockCommitted(Block block, IReadOnlyList<TxValidationCode> codes)
    {
        if (!_waiters.IsEmpty)
        {
            var inBlock = new Dictionary<string, TxValidationCode>(StringComparer.Ordinal);
            for (var i = 0; i < block.Transactions.Count; i++)
            {
                inBlock.TryAdd(block.Transactions[i].TxId, codes[i]);
            }

            foreach (var waiter in _waiters.Keys)
            {
                if (inBlock.TryGetValue(waiter.TxId, out var code))
                {
                    waiter.Completion.TrySetResult((code, block.Number));
                }
            }
        }

        var committed = new CommittedBlock(block, codes);
        foreach (var subscriber in _subscribers.Keys)
        {
            subscriber.Writer.TryWrite(committed);
        }
    }

    private sealed record Waiter(string TxId, TaskCompletionSource<(TxValidationCode, long)> Completion);

    /// <summary>A live feed of committed blocks.</summary>
    internal sealed class Subscription(ChannelReader<CommittedBlock> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<CommittedBlock> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }
}
