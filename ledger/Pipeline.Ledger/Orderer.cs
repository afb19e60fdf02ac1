using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Pipeline.Ledger;

/// <summary>
/// The in-process orderer: takes endorsed transactions in arrival order, cuts a block when it holds
/// <see cref="LedgerOptions.BatchMaxTransactions"/> or its first transaction has waited
/// <see cref="LedgerOptions.BatchTimeout"/>, chains it to the previous block and hands it to delivery.
/// </summary>
/// <remarks>If delivery fails the orderer stops and every later submit fails with the cause.</remarks>
internal sealed class Orderer : IAsyncDisposable
{
    private readonly Channel<Pending> _incoming = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<Block, CancellationToken, Task<IReadOnlyList<TxValidationCode>>> _deliver;
    private readonly LedgerOptions _options;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _nextNumber;
    private string _lastHash;
    private Exception? _fault;

    public Orderer(
        LedgerOptions options,
        long nextNumber,
        string lastHash,
        Func<Block, CancellationToken, Task<IReadOnlyList<TxValidationCode>>> deliver,
        ILogger logger)
    {
        _options = options;
        _nextNumber = nextNumber;
        _lastHash = lastHash;
        _deliver = deliver;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Orders an endorsed transaction; completes when every peer has committed its block.</summary>
    public async Task<SubmitResult> SubmitAsync(EndorsedTransaction endorsed, CancellationToken cancellationToken)
    {
        if (_fault is not null)
        {
            throw new InvalidOperationException("the orderer stopped after a delivery failure", _fault);
        }

        var pending = new Pending(endorsed, new TaskCompletionSource<SubmitResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_incoming.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(Orderer), "the ledger network is shutting down");
        }

        // Cancelling stops the wait, not the transaction: once ordered it commits.
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _incoming.Reader;
        var batch = new List<Pending>(_options.BatchMaxTransactions);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!reader.TryRead(out var first))
            {
                continue;
            }

            batch.Add(first);
            await FillBatchAsync(reader, batch).ConfigureAwait(false);
            await CutAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private async Task FillBatchAsync(ChannelReader<Pending> reader, List<Pending> batch)
    {
        var deadline = DateTime.UtcNow + _options.BatchTimeout;
        while (batch.Count < _options.BatchMaxTransactions)
        {
            if (reader.TryRead(out var next))
            {
                batch.Add(next);
                continue;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            using var timeout = new CancellationTokenSource(remaining);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task CutAsync(List<Pending> batch)
    {
        if (_fault is not null)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(new InvalidOperationException("the orderer stopped after a delivery failure", _fault));
            }

            return;
        }

        var block = BlockCodec.Create(_nextNumber, _lastHash, batch.Select(p => p.Endorsed.Transaction).ToList());
        LedgerLog.BlockCut(_logger, block.Number, batch.Count);
        IReadOnlyList<TxValidationCode> codes;
        try
        {
            // Delivery is never cancelled half-way: all peers commit a block or the orderer stops.
            codes = await _deliver(block, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LedgerLog.DeliveryFailed(_logger, ex, block.Number);
            _fault = ex;
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(ex);
            }

            return;
        }

        _nextNumber++;
        _lastHash = block.Hash;
        for (var i = 0; i < batch.Count; i++)
        {
            var endorsed = batch[i].Endorsed;
            batch[i].Completion.TrySetResult(new SubmitResult(endorsed.Transaction.TxId, codes[i], block.Number, endorsed.Payload));
        }
    }

    private sealed record Pending(EndorsedTransaction Endorsed, TaskCompletionSource<SubmitResult> Completion);
}
