using System.Collections.Concurrent;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Protos.Peer;
using MessageType = Pipeline.Ledger.Fabric.Protos.Peer.ChaincodeMessage.Types.Type;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// The chaincode side of one <c>protos.Chaincode/Connect</c> stream, following the states of Fabric's shim
/// handler: send REGISTER (ChaincodeID = package id) → created; REGISTERED → established; READY → ready.
/// When ready, each TRANSACTION or INIT runs concurrently on its own thread with a
/// <see cref="ShimChaincodeStub"/>, and ends with COMPLETED (a <c>protos.Response</c>) or ERROR.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The contract ran: COMPLETED with status 200 and its payload (plus the event it set), or status 500
/// and the refusal's message (a <see cref="ContractException"/>, a bad key, or a state call the peer refused),
/// as Fabric's contract API answers; the peer turns status ≥ 400 into an endorsement failure.</item>
/// <item>The transaction could not be run (payload not a ChaincodeInput, no function name, arguments not
/// UTF-8, no or malformed signed proposal, a tx id already running): ERROR whose payload names the cause.</item>
/// <item>Once ready, an unexpected message (an unknown type, a RESPONSE nobody waits for) is answered with
/// ERROR for its tx id and the stream goes on serving; before READY it ends the stream.</item>
/// <item>KEEPALIVE is echoed in any state, as the Go shim does.</item>
/// </list>
/// Writes to the response stream are serialised. When the stream ends, running transactions are
/// cancelled and awaited before <see cref="RunAsync"/> returns.
/// </remarks>
internal sealed class ShimConnection
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly IContract _contract;
    private readonly ChaincodeServerOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly ILogger _logger;
    private readonly string _peer;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly ConcurrentDictionary<string, ShimTransaction> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private IServerStreamWriter<ChaincodeMessage>? _writer;
    private long _completed;

    public ShimConnection(IContract contract, ChaincodeServerOptions options, SemaphoreSlim slots, ILogger logger, string peer)
    {
        _contract = contract;
        _options = options;
        _slots = slots;
        _logger = logger;
        _peer = peer;
    }

    private enum State
    {
        Created,
        Established,
        Ready,
    }

    /// <summary>Runs the conversation until the peer closes the stream or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(IAsyncStreamReader<ChaincodeMessage> requests, IServerStreamWriter<ChaincodeMessage> responses, CancellationToken cancellationToken)
    {
        _writer = responses;
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var state = State.Created;
        try
        {
            var register = new ChaincodeID { Name = _options.PackageId };
            await SendAsync(new ChaincodeMessage { Type = MessageType.Register, Payload = register.ToByteString() }, connection.Token).ConfigureAwait(false);
            ChaincodeLog.PeerConnected(_logger, _peer, _options.PackageId);
            while (await requests.MoveNext(connection.Token).ConfigureAwait(false))
            {
                var message = requests.Current;
                if (message.Type == MessageType.Keepalive)
                {
                    await SendAsync(message, connection.Token).ConfigureAwait(false);
                    continue;
                }

                switch (state)
                {
                    case State.Created when message.Type == MessageType.Registered:
                        state = State.Established;
                        break;
                    case State.Established when message.Type == MessageType.Ready:
                        state = State.Ready;
                        ChaincodeLog.PeerReady(_logger, _peer);
                        break;
                    case State.Created or State.Established:
                        var expected = state == State.Created ? "REGISTERED" : "READY";
                        var reason = $"received {ShimMessages.Name(message.Type)} while waiting for {expected}; ending the conversation";
                        await SendErrorAsync(message, reason, connection.Token).ConfigureAwait(false);
                        throw new ChaincodeProtocolException(message.Txid, $"peer {_peer}: {reason}");
                    default:
                        await HandleReadyAsync(message, connection.Token).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The peer went away or the server is stopping.
        }
        catch (Exception ex) when (ex is IOException or ChaincodeProtocolException or RpcException or InvalidOperationException)
        {
            ChaincodeLog.ConversationFailed(_logger, ex, _peer);
        }
        finally
        {
            await connection.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_tasks.Keys).ConfigureAwait(false);
            ChaincodeLog.PeerDisconnected(_logger, _peer, Interlocked.Read(ref _completed));
        }
    }

    private async Task HandleReadyAsync(ChaincodeMessage message, CancellationToken cancellationToken)
    {
        switch (message.Type)
        {
            case MessageType.Transaction or MessageType.Init:
                StartTransaction(message, cancellationToken);
                break;
            case MessageType.Response or MessageType.Error:
                if (!_running.TryGetValue(ShimTransaction.KeyOf(message.ChannelId, message.Txid), out var transaction))
                {
                    await RejectAsync(message, $"no transaction {message.Txid} is running on channel '{message.ChannelId}'", cancellationToken).ConfigureAwait(false);
                }
                else if (!transaction.Deliver(message))
                {
                    await RejectAsync(message, $"transaction {message.Txid} has no state call waiting for an answer", cancellationToken).ConfigureAwait(false);
                }

                break;
            default:
                await RejectAsync(message, $"a chaincode does not accept {ShimMessages.Name(message.Type)} from the peer", cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private void StartTransaction(ChaincodeMessage message, CancellationToken cancellationToken)
    {
        var transaction = new ShimTransaction(message.ChannelId, message.Txid, SendAsync, _options.CallTimeout, cancellationToken);
        var key = ShimTransaction.KeyOf(message.ChannelId, message.Txid);
        Task task;
        if (string.IsNullOrEmpty(message.Txid))
        {
            task = RejectAsync(message, $"{ShimMessages.Name(message.Type)} has no transaction id", cancellationToken);
        }
        else if (!_running.TryAdd(key, transaction))
        {
            task = RejectAsync(message, $"transaction {message.Txid} is already running on channel '{message.ChannelId}'", cancellationToken);
        }
        else
        {
            task = RunTransactionAsync(message, transaction, key, cancellationToken);
        }

        _tasks.TryAdd(task, 0);
        _ = task.ContinueWith(t => _tasks.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunTransactionAsync(ChaincodeMessage message, ShimTransaction transaction, string key, CancellationToken cancellationToken)
    {
        var slotTaken = false;
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            slotTaken = true;

            // The contract is synchronous and blocks on each state call, so it gets a thread of its own
            // rather than a thread-pool thread (many concurrent transactions would starve the pool).
            var reply = await Task.Factory.StartNew(
                () => Execute(message, transaction),
                cancellationToken,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);
            _running.TryRemove(key, out _);
            await SendAsync(reply, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _completed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Connection ended: nobody is left to answer.
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or RpcException or OperationCanceledException)
        {
            // The reply could not be written (stream closing); the peer times the transaction out.
            ChaincodeLog.TransactionCrashed(_logger, ex, message.Txid);
        }
        finally
        {
            _running.TryRemove(key, out _);
            if (slotTaken)
            {
                _slots.Release();
            }
        }
    }

    /// <summary>Runs one TRANSACTION/INIT to its COMPLETED or ERROR reply.</summary>
    private ChaincodeMessage Execute(ChaincodeMessage message, ShimTransaction transaction)
    {
        string function;
        List<string> args;
        TransactionHeader header;
        try
        {
            var input = ParseInput(message);
            header = TransactionHeader.Read(message.Proposal, message.Txid);
            if (!string.IsNullOrEmpty(header.TxId) && header.TxId != message.Txid)
            {
                throw new ChaincodeProtocolException(message.Txid, $"transaction {message.Txid}: the signed proposal is for transaction {header.TxId}");
            }

            if (input.Args.Count == 0)
            {
                if (message.Type == MessageType.Init)
                {
                    // An INIT without a function: nothing to initialise in this contract.
                    return Completed(message, new Response { Status = 200 }, null);
                }

                throw new ChaincodeProtocolException(message.Txid, $"transaction {message.Txid}: ChaincodeInput has no arguments (the first must be the function name)");
            }

            function = Utf8(input.Args[0], message.Txid, "function name");
            args = new List<string>(input.Args.Count - 1);
            for (var i = 1; i < input.Args.Count; i++)
            {
                args.Add(Utf8(input.Args[i], message.Txid, $"argument {i - 1}"));
            }
        }
        catch (ChaincodeProtocolException ex)
        {
            ChaincodeLog.TransactionRefused(_logger, message.Txid, ex.Message);
            return Error(message, ex.Message);
        }

        var stub = new ShimChaincodeStub(transaction, header);
        Response response;
        try
        {
            var payload = _contract.Invoke(stub, function, args);
            response = new Response { Status = 200, Payload = ByteString.CopyFrom(payload) };
        }
        catch (Exception ex) when (ex is ContractException or ArgumentException or ChaincodeProtocolException)
        {
            response = new Response { Status = 500, Message = ex.Message };
        }
        catch (Exception ex)
        {
            // A defect, not a refusal: the peer gets ERROR naming the exception.
            ChaincodeLog.TransactionCrashed(_logger, ex, message.Txid);
            return Error(message, $"transaction {message.Txid}: {function} failed with {ex.GetType().Name}: {ex.Message}");
        }

        ChaincodeLog.TransactionCompleted(_logger, message.Txid, message.ChannelId, function, response.Status);
        return Completed(message, response, response.Status == 200 ? stub.Event : null);
    }

    private static ChaincodeInput ParseInput(ChaincodeMessage message)
    {
        try
        {
            return ChaincodeInput.Parser.ParseFrom(message.Payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ChaincodeProtocolException(message.Txid, $"transaction {message.Txid}: payload of {ShimMessages.Name(message.Type)} is not a ChaincodeInput ({ex.Message})", ex);
        }
    }

    private static string Utf8(ByteString bytes, string txId, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ChaincodeProtocolException(txId, $"transaction {txId}: {what} is not UTF-8 text", ex);
        }
    }

    private static ChaincodeMessage Completed(ChaincodeMessage request, Response response, Pipeline.Ledger.Fabric.Protos.Peer.ChaincodeEvent? chaincodeEvent)
    {
        var reply = new ChaincodeMessage
        {
            Type = MessageType.Completed,
            Payload = response.ToByteString(),
            Txid = request.Txid,
            ChannelId = request.ChannelId,
        };
        if (chaincodeEvent is not null)
        {
            reply.ChaincodeEvent = chaincodeEvent;
        }

        return reply;
    }

    private static ChaincodeMessage Error(ChaincodeMessage request, string reason) => new()
    {
        Type = MessageType.Error,
        Payload = ByteString.CopyFromUtf8(reason),
        Txid = request.Txid,
        ChannelId = request.ChannelId,
    };

    private Task RejectAsync(ChaincodeMessage message, string reason, CancellationToken cancellationToken)
    {
        ChaincodeLog.MessageRejected(_logger, ShimMessages.Name(message.Type), message.Txid, _peer, reason);
        return SendErrorAsync(message, reason, cancellationToken);
    }

    private Task SendErrorAsync(ChaincodeMessage message, string reason, CancellationToken cancellationToken) =>
        SendAsync(Error(message, reason), cancellationToken);

    private async Task SendAsync(ChaincodeMessage message, CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _writer!.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }
}
