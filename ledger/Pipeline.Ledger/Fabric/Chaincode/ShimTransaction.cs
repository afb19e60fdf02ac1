using Google.Protobuf;
using Pipeline.Ledger.Fabric.Protos.Peer;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// One transaction in flight on a shim connection: sends the chaincode's state calls to the peer and
/// hands each call the peer's RESPONSE or ERROR (matched on channel id + transaction id).
/// </summary>
/// <remarks>
/// A contract runs synchronously on its own thread, so <see cref="Call"/> blocks that thread until the
/// answer arrives, the call times out, or the connection ends. One call is outstanding at a time,
/// as in Fabric's shims.
/// </remarks>
internal sealed class ShimTransaction
{
    private readonly Func<ChaincodeMessage, CancellationToken, Task> _send;
    private readonly TimeSpan _callTimeout;
    private readonly CancellationToken _connectionEnded;
    private TaskCompletionSource<ChaincodeMessage>? _pending;

    public ShimTransaction(string channelId, string txId, Func<ChaincodeMessage, CancellationToken, Task> send, TimeSpan callTimeout, CancellationToken connectionEnded)
    {
        ChannelId = channelId;
        TxId = txId;
        _send = send;
        _callTimeout = callTimeout;
        _connectionEnded = connectionEnded;
    }

    public string ChannelId { get; }

    public string TxId { get; }

    /// <summary>Key under which Fabric's handlers track a transaction: channel id then transaction id.</summary>
    public static string KeyOf(string channelId, string txId) => channelId + "\u0000" + txId;

    /// <summary>Sends a <paramref name="type"/> request and returns the RESPONSE payload.</summary>
    /// <exception cref="ChaincodeProtocolException">The peer answered ERROR or something else, did not answer in time, or went away.</exception>
    public ByteString Call(ChaincodeMessage.Types.Type type, IMessage request, string subject)
    {
        var pending = new TaskCompletionSource<ChaincodeMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _pending, pending, null) is not null)
        {
            throw new ChaincodeProtocolException(TxId, $"transaction {TxId}: {ShimMessages.Name(type)} for {subject} issued while another call is outstanding");
        }

        ChaincodeMessage answer;
        try
        {
            var message = new ChaincodeMessage { Type = type, Payload = request.ToByteString(), Txid = TxId, ChannelId = ChannelId };
            _send(message, _connectionEnded).GetAwaiter().GetResult();
            if (!pending.Task.Wait(_callTimeout, _connectionEnded))
            {
                throw new ChaincodeProtocolException(TxId, $"transaction {TxId}: the peer did not answer {ShimMessages.Name(type)} for {subject} within {_callTimeout.TotalSeconds:0.###} s");
            }

            answer = pending.Task.Result;
        }
        catch (OperationCanceledException ex)
        {
            throw new ChaincodeProtocolException(TxId, $"transaction {TxId}: the peer connection ended during {ShimMessages.Name(type)} for {subject}", ex);
        }
        finally
        {
            Interlocked.CompareExchange(ref _pending, null, pending);
        }

        return answer.Type switch
        {
            ChaincodeMessage.Types.Type.Response => answer.Payload,
            ChaincodeMessage.Types.Type.Error => throw new ChaincodeProtocolException(
                TxId, $"transaction {TxId}: the peer refused {ShimMessages.Name(type)} for {subject}: {answer.Payload.ToStringUtf8()}"),
            _ => throw new ChaincodeProtocolException(
                TxId, $"transaction {TxId}: the peer answered {ShimMessages.Name(type)} for {subject} with {ShimMessages.Name(answer.Type)} (expected RESPONSE or ERROR)"),
        };
    }

    /// <summary>Hands the peer's answer to the outstanding call; false when no call is waiting.</summary>
    public bool Deliver(ChaincodeMessage answer)
    {
        var pending = Interlocked.Exchange(ref _pending, null);
        return pending is not null && pending.TrySetResult(answer);
    }
}
