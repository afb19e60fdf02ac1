using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Pipeline.Ledger.Fabric.Protos.Peer;
using Pipeline.Ledger.Fabric.Protos.QueryResult;
using ChaincodeGrpc = Pipeline.Ledger.Fabric.Protos.Peer.Chaincode;
using MessageType = Pipeline.Ledger.Fabric.Protos.Peer.ChaincodeMessage.Types.Type;

namespace Pipeline.Ledger.Tests;

/// <summary>
/// Plays a Fabric peer against a chaincode-as-a-service server over real gRPC on loopback: dials
/// <c>protos.Chaincode/Connect</c>, expects REGISTER, answers REGISTERED + READY, sends TRANSACTIONs and
/// serves the chaincode's GET_STATE / PUT_STATE / DEL_STATE / GET_STATE_BY_RANGE (+ QUERY_STATE_NEXT,
/// QUERY_STATE_CLOSE) / GET_HISTORY_FOR_KEY calls from an in-memory committed state.
/// </summary>
/// <remarks>
/// Like a peer's simulator, reads see only committed state; a transaction's writes are kept aside and
/// committed (with a history record) when it COMPLETEs with status 200. Unpaginated query results come
/// in batches of <see cref="BatchSize"/> with <c>has_more</c>; history is returned newest first, as
/// Fabric 2.x does.
/// </remarks>
internal sealed class ShimPeerHarness : IAsyncDisposable
{
    public const string ChannelId = "whitelist";

    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<ChaincodeMessage, ChaincodeMessage> _call;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ChaincodeMessage>> _waiting = new();
    private readonly ConcurrentDictionary<string, List<ChaincodeMessage>> _calls = new();
    private readonly ConcurrentDictionary<string, List<(string Key, byte[]? Value)>> _writes = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _timestamps = new();
    private readonly ConcurrentDictionary<string, Queue<QueryResultBytes>> _iterators = new();
    private readonly Lock _stateLock = new();
    private readonly TaskCompletionSource<ChaincodeMessage> _register = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<ChaincodeMessage> _other = System.Threading.Channels.Channel.CreateUnbounded<ChaincodeMessage>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private long _txCounter;
    private long _iteratorCounter;
    private int _closed;

    private ShimPeerHarness(GrpcChannel channel)
    {
        _channel = channel;
        _call = new ChaincodeGrpc.ChaincodeClient(channel).Connect(cancellationToken: _stop.Token);
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Committed world state.</summary>
    public SortedDictionary<string, byte[]> State { get; } = new(StringComparer.Ordinal);

    /// <summary>Committed history per key, oldest first (served newest first).</summary>
    public Dictionary<string, List<KeyModification>> History { get; } = new(StringComparer.Ordinal);

    /// <summary>Results per QueryResponse for unpaginated queries.</summary>
    public int BatchSize { get; set; } = 2;

    /// <summary>When set and it returns an error text for a state call, the harness answers ERROR with it.</summary>
    public Func<ChaincodeMessage, string?>? RefuseCall { get; set; }

    /// <summary>QUERY_STATE_CLOSE messages received.</summary>
    public int ClosedIterators => _closed;

    /// <summary>The server's end of the stream finished (it closed the conversation).</summary>
    public Task Ended => _reader;

    /// <summary>Dials the server at <paramref name="address"/> (plain HTTP/2) and, by default, completes the handshake.</summary>
    public static async Task<ShimPeerHarness> ConnectAsync(string address, bool handshake = true, GrpcChannelOptions? options = null, string scheme = "http")
    {
        var channel = GrpcChannel.ForAddress($"{scheme}://{address}", options ?? new GrpcChannelOptions());
        var harness = new ShimPeerHarness(channel);
        if (handshake)
        {
            await harness.RegisterAsync();
            await harness.SendAsync(new ChaincodeMessage { Type = MessageType.Registered });
            await harness.SendAsync(new ChaincodeMessage { Type = MessageType.Ready });
        }

        return harness;
    }

    /// <summary>The chaincode's first message (REGISTER).</summary>
    public Task<ChaincodeMessage> RegisterAsync() => _register.Task.WaitAsync(TimeSpan.FromSeconds(30));

    public string NextTxId() => "tx" + Interlocked.Increment(ref _txCounter).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sends a TRANSACTION built with a signed proposal from <paramref name="identity"/> and waits for COMPLETED or ERROR.</summary>
    public Task<ShimResult> InvokeAsync(ShimTestIdentity identity, string function, params string[] args) =>
        InvokeAsync(identity, NextTxId(), DateTimeOffset.UtcNow, function, args);

    public Task<ShimResult> InvokeAsync(ShimTestIdentity identity, string txId, DateTimeOffset timestamp, string function, params string[] args)
    {
        var argBytes = new[] { function }.Concat(args).Select(ByteString.CopyFromUtf8).ToList();
        var input = new ChaincodeInput();
        input.Args.AddRange(argBytes);
        var message = new ChaincodeMessage
        {
            Type = MessageType.Transaction,
            Payload = input.ToByteString(),
            Txid = txId,
            ChannelId = ChannelId,
            Proposal = identity.Propose(ChannelId, "whitelist", txId, timestamp, argBytes),
        };
        _timestamps[txId] = timestamp;
        return SendAndWaitAsync(message);
    }

    /// <summary>Sends any message and waits for the chaincode's COMPLETED or ERROR with the same tx id.</summary>
    public async Task<ShimResult> SendAndWaitAsync(ChaincodeMessage message)
    {
        var done = new TaskCompletionSource<ChaincodeMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[message.Txid] = done;
        _calls[message.Txid] = [];
        _timestamps.TryAdd(message.Txid, DateTimeOffset.UtcNow);
        await SendAsync(message);
        var reply = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return new ShimResult(reply, _calls[message.Txid].Select(c => c.Type).ToList());
    }

    public async Task SendAsync(ChaincodeMessage message)
    {
        await _sendGate.WaitAsync();
        try
        {
            await _call.RequestStream.WriteAsync(message);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Waits for a message that is neither REGISTER nor a reply to a tracked transaction (e.g. a KEEPALIVE echo).</summary>
    public async Task<ChaincodeMessage> NextOtherAsync() =>
        await _other.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        catch (InvalidOperationException)
        {
            // Already completed or the call failed.
        }

        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
        }

        _call.Dispose();
        _channel.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var message in _call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                await HandleAsync(message);
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
        }
        catch (OperationCanceledException)
        {
        }
        catch (RpcException ex)
        {
            // The call failed (e.g. the TLS handshake was refused): whoever waits for REGISTER sees why.
            _register.TrySetException(ex);
        }
    }

    private async Task HandleAsync(ChaincodeMessage message)
    {
        if (message.Type == MessageType.Register)
        {
            _register.TrySetResult(message);
            return;
        }

        if (message.Type is MessageType.Completed or MessageType.Error && _waiting.TryRemove(message.Txid, out var done))
        {
            if (message.Type == MessageType.Completed && Response.Parser.ParseFrom(message.Payload).Status == 200)
            {
                Commit(message.Txid);
            }

            _writes.TryRemove(message.Txid, out _);
            done.TrySetResult(message);
            return;
        }

        if (!_calls.TryGetValue(message.Txid, out var calls) || message.Type is MessageType.Completed or MessageType.Error or MessageType.Keepalive)
        {
            _other.Writer.TryWrite(message);
            return;
        }

        lock (calls)
        {
            calls.Add(message);
        }

        var refusal = RefuseCall?.Invoke(message);
        var reply = refusal is not null
            ? new ChaincodeMessage { Type = MessageType.Error, Payload = ByteString.CopyFromUtf8(refusal) }
            : new ChaincodeMessage { Type = MessageType.Response, Payload = Serve(message) };
        reply.Txid = message.Txid;
        reply.ChannelId = message.ChannelId;
        await SendAsync(reply);
    }

    private ByteString Serve(ChaincodeMessage message)
    {
        var writes = _writes.GetOrAdd(message.Txid, _ => []);
        lock (_stateLock)
        {
            switch (message.Type)
            {
                case MessageType.GetState:
                    var key = GetState.Parser.ParseFrom(message.Payload).Key;
                    return State.TryGetValue(key, out var value) ? ByteString.CopyFrom(value) : ByteString.Empty;
                case MessageType.PutState:
                    var put = PutState.Parser.ParseFrom(message.Payload);
                    writes.Add((put.Key, put.Value.ToByteArray()));
                    return ByteString.Empty;
                case MessageType.DelState:
                    writes.Add((DelState.Parser.ParseFrom(message.Payload).Key, null));
                    return ByteString.Empty;
                case MessageType.GetStateByRange:
                    return Range(GetStateByRange.Parser.ParseFrom(message.Payload));
                case MessageType.GetHistoryForKey:
                    var historyKey = GetHistoryForKey.Parser.ParseFrom(message.Payload).Key;
                    var records = History.TryGetValue(historyKey, out var list) ? list : [];
                    return Batched(Enumerable.Reverse(records).Select(r => new QueryResultBytes { ResultBytes = r.ToByteString() }).ToList());
                case MessageType.QueryStateNext:
                    var id = QueryStateNext.Parser.ParseFrom(message.Payload).Id;
                    return NextBatch(id, _iterators[id]);
                case MessageType.QueryStateClose:
                    var closing = QueryStateClose.Parser.ParseFrom(message.Payload).Id;
                    _iterators.TryRemove(closing, out _);
                    Interlocked.Increment(ref _closed);
                    return new QueryResponse { Id = closing }.ToByteString();
                default:
                    throw new InvalidOperationException($"harness cannot serve {message.Type}");
            }
        }
    }

    private ByteString Range(GetStateByRange request)
    {
        var start = request.StartKey;
        QueryMetadata? paging = request.Metadata.IsEmpty ? null : QueryMetadata.Parser.ParseFrom(request.Metadata);
        if (paging is not null && paging.Bookmark.Length > 0)
        {
            start = paging.Bookmark;
        }

        var matches = State
            .Where(kv => string.CompareOrdinal(kv.Key, start) >= 0 && (request.EndKey.Length == 0 || string.CompareOrdinal(kv.Key, request.EndKey) < 0))
            .Select(kv => new QueryResultBytes { ResultBytes = new KV { Namespace = "whitelist", Key = kv.Key, Value = ByteString.CopyFrom(kv.Value) }.ToByteString() })
            .ToList();
        if (paging is null)
        {
            return Batched(matches);
        }

        // Paginated queries come back in one response carrying the bookmark (the next key, or empty at the end).
        var page = matches.Take(paging.PageSize).ToList();
        var next = matches.Count > paging.PageSize ? KV.Parser.ParseFrom(matches[paging.PageSize].ResultBytes).Key : string.Empty;
        var response = new QueryResponse
        {
            HasMore = false,
            Id = "page",
            Metadata = new QueryResponseMetadata { FetchedRecordsCount = page.Count, Bookmark = next }.ToByteString(),
        };
        response.Results.AddRange(page);
        return response.ToByteString();
    }

    private ByteString Batched(List<QueryResultBytes> results)
    {
        var id = "it" + Interlocked.Increment(ref _iteratorCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var queue = new Queue<QueryResultBytes>(results);
        _iterators[id] = queue;
        return NextBatch(id, queue);
    }

    private ByteString NextBatch(string id, Queue<QueryResultBytes> queue)
    {
        var response = new QueryResponse { Id = id };
        while (response.Results.Count < BatchSize && queue.Count > 0)
        {
            response.Results.Add(queue.Dequeue());
        }

        response.HasMore = queue.Count > 0;
        if (!response.HasMore)
        {
            _iterators.TryRemove(id, out _);
        }

        return response.ToByteString();
    }

    private void Commit(string txId)
    {
        if (!_writes.TryGetValue(txId, out var writes))
        {
            return;
        }

        var timestamp = Timestamp.FromDateTimeOffset(_timestamps.TryGetValue(txId, out var t) ? t : DateTimeOffset.UtcNow);
        lock (_stateLock)
        {
            foreach (var (key, value) in writes)
            {
                if (value is null)
                {
                    State.Remove(key);
                }
                else
                {
                    State[key] = value;
                }

                if (!History.TryGetValue(key, out var list))
                {
                    list = [];
                    History[key] = list;
                }

                list.Add(new KeyModification { TxId = txId, Timestamp = timestamp, IsDelete = value is null, Value = ByteString.CopyFrom(value ?? []) });
            }
        }
    }
}
