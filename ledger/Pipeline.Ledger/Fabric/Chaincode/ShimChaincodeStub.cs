using Google.Protobuf;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Protos.Peer;
using Pipeline.Ledger.Fabric.Protos.QueryResult;
using PeerChaincodeEvent = Pipeline.Ledger.Fabric.Protos.Peer.ChaincodeEvent;
using ShimGetState = Pipeline.Ledger.Fabric.Protos.Peer.GetState;
using StubKeyModification = Pipeline.Chaincode.KeyModification;
using WireKeyModification = Pipeline.Ledger.Fabric.Protos.QueryResult.KeyModification;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// <see cref="IChaincodeStub"/> over Fabric's chaincode shim protocol: every state access is a
/// <c>ChaincodeMessage</c> to the peer (GET_STATE, PUT_STATE, DEL_STATE, GET_STATE_BY_RANGE with
/// QUERY_STATE_NEXT paging, GET_HISTORY_FOR_KEY) answered by RESPONSE or ERROR, so the peer builds the
/// read/write set and the contract runs unchanged.
/// </summary>
/// <remarks>
/// Reads see committed state (the peer's simulator does not apply a transaction's own writes), as on
/// the embedded peers. Fabric returns an empty value for a missing key, so an empty value reads as
/// absent. Fabric 2.x returns key history newest first; this stub reverses it to the interface's
/// oldest-first order. Used by one transaction on one thread.
/// </remarks>
internal sealed class ShimChaincodeStub : IChaincodeStub
{
    // Fabric's shims send this in place of an empty start key ("from the first key").
    private const string EmptyKeySubstitute = "\u0001";

    private readonly ShimTransaction _transaction;

    public ShimChaincodeStub(ShimTransaction transaction, TransactionHeader header)
    {
        _transaction = transaction;
        TxId = transaction.TxId;
        ChannelId = transaction.ChannelId;
        TxTimestamp = header.Timestamp;
        Creator = header.Creator;
    }

    public string TxId { get; }

    public DateTimeOffset TxTimestamp { get; }

    public ClientIdentity Creator { get; }

    public string ChannelId { get; }

    /// <summary>The event set by the contract, for COMPLETED.chaincode_event (the peer fills in chaincode and tx id).</summary>
    public PeerChaincodeEvent? Event { get; private set; }

    public byte[]? GetState(string key)
    {
        ValidateKey(key);
        var value = _transaction.Call(ChaincodeMessage.Types.Type.GetState, new ShimGetState { Key = key }, $"key '{key}'");
        return value.IsEmpty ? null : value.ToByteArray();
    }

    public void PutState(string key, byte[] value)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(value);
        _transaction.Call(ChaincodeMessage.Types.Type.PutState, new PutState { Key = key, Value = ByteString.CopyFrom(value) }, $"key '{key}'");
    }

    public void DelState(string key)
    {
        ValidateKey(key);
        _transaction.Call(ChaincodeMessage.Types.Type.DelState, new DelState { Key = key }, $"key '{key}'");
    }

    public IReadOnlyList<StateEntry> GetStateByRange(string startKey, string endKey)
    {
        var request = new GetStateByRange { StartKey = StartKey(startKey), EndKey = endKey ?? string.Empty };
        var (results, _) = Query(ChaincodeMessage.Types.Type.GetStateByRange, request, $"range ['{startKey}', '{endKey}')");
        return results.Select(ToEntry).ToList();
    }

    public StatePage GetStateByRangeWithPagination(string startKey, string endKey, int pageSize, string bookmark)
    {
        if (pageSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "page size must be positive");
        }

        var request = new GetStateByRange
        {
            StartKey = StartKey(startKey),
            EndKey = endKey ?? string.Empty,
            Metadata = new QueryMetadata { PageSize = pageSize, Bookmark = bookmark ?? string.Empty }.ToByteString(),
        };
        var (results, metadata) = Query(ChaincodeMessage.Types.Type.GetStateByRange, request, $"page of range ['{startKey}', '{endKey}') from '{bookmark}'");
        return new StatePage(results.Select(ToEntry).ToList(), metadata?.Bookmark ?? string.Empty);
    }

    public IReadOnlyList<StubKeyModification> GetHistoryForKey(string key)
    {
        ValidateKey(key);
        var (results, _) = Query(ChaincodeMessage.Types.Type.GetHistoryForKey, new GetHistoryForKey { Key = key }, $"history of '{key}'");
        var history = results.Select(r =>
        {
            var modification = ParseResult(WireKeyModification.Parser, r, "KeyModification");
            return new StubKeyModification(
                modification.TxId,
                modification.Timestamp is null ? DateTimeOffset.UnixEpoch : modification.Timestamp.ToDateTimeOffset(),
                modification.IsDelete,
                modification.Value.ToByteArray());
        }).ToList();
        history.Reverse();
        return history;
    }

    public void SetEvent(string name, byte[] payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(payload);
        Event = new PeerChaincodeEvent { EventName = name, Payload = ByteString.CopyFrom(payload) };
    }

    /// <summary>Runs a query and follows QUERY_STATE_NEXT until the peer says there is no more.</summary>
    private (List<ByteString> Results, QueryResponseMetadata? Metadata) Query(ChaincodeMessage.Types.Type type, IMessage request, string subject)
    {
        var results = new List<ByteString>();
        QueryResponseMetadata? metadata = null;
        var response = ParseResponse(_transaction.Call(type, request, subject), type, subject);
        try
        {
            while (true)
            {
                results.AddRange(response.Results.Select(r => r.ResultBytes));
                if (!response.Metadata.IsEmpty)
                {
                    metadata = ParseResult(QueryResponseMetadata.Parser, response.Metadata, "QueryResponseMetadata");
                }

                if (!response.HasMore)
                {
                    return (results, metadata);
                }

                if (string.IsNullOrEmpty(response.Id))
                {
                    throw new ChaincodeProtocolException(TxId, $"transaction {TxId}: {ShimMessages.Name(type)} for {subject} has more results but no iterator id");
                }

                response = ParseResponse(
                    _transaction.Call(ChaincodeMessage.Types.Type.QueryStateNext, new QueryStateNext { Id = response.Id }, $"{subject} (iterator {response.Id})"),
                    ChaincodeMessage.Types.Type.QueryStateNext,
                    subject);
            }
        }
        catch (ChaincodeProtocolException) when (response.HasMore && !string.IsNullOrEmpty(response.Id))
        {
            // Let the peer release the iterator; the original failure is what the caller needs to see.
            TryClose(response.Id, subject);
            throw;
        }
    }

    private void TryClose(string iteratorId, string subject)
    {
        try
        {
            _transaction.Call(ChaincodeMessage.Types.Type.QueryStateClose, new QueryStateClose { Id = iteratorId }, $"{subject} (closing iterator {iteratorId})");
        }
        catch (ChaincodeProtocolException)
        {
            // The peer also drops open iterators when the transaction completes.
        }
    }

    private QueryResponse ParseResponse(ByteString payload, ChaincodeMessage.Types.Type type, string subject)
    {
        try
        {
            return QueryResponse.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ChaincodeProtocolException(TxId, $"transaction {TxId}: the RESPONSE to {ShimMessages.Name(type)} for {subject} is not a QueryResponse ({ex.Message})", ex);
        }
    }

    private T ParseResult<T>(MessageParser<T> parser, ByteString bytes, string what)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ChaincodeProtocolException(TxId, $"transaction {TxId}: a query result is not a {what} ({ex.Message})", ex);
        }
    }

    private StateEntry ToEntry(ByteString bytes)
    {
        var kv = ParseResult(KV.Parser, bytes, "KV");
        return new StateEntry(kv.Key, kv.Value.ToByteArray());
    }

    private static string StartKey(string startKey) => string.IsNullOrEmpty(startKey) ? EmptyKeySubstitute : startKey;

    private static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"key '{key}' is empty or contains a NUL character", nameof(key));
        }
    }
}
