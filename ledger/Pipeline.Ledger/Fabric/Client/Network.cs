using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Pipeline.Ledger.Fabric.Protos.Gateway;
using Pipeline.Ledger.Fabric.Protos.Orderer;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>A channel reached through a <see cref="Gateway"/>: its contracts and its chaincode events.</summary>
public sealed class Network
{
    internal Network(Gateway gateway, string name)
    {
        Gateway = gateway;
        Name = name;
    }

    /// <summary>Channel name.</summary>
    public string Name { get; }

    internal Gateway Gateway { get; }

    /// <summary>The chaincode <paramref name="chaincodeName"/> on this channel.</summary>
    public Contract GetContract(string chaincodeName)
    {
        ArgumentException.ThrowIfNullOrEmpty(chaincodeName);
        return new Contract(this, chaincodeName);
    }

    /// <summary>
    /// Events of <paramref name="chaincodeName"/> from committed valid transactions, in order, until
    /// <paramref name="cancellationToken"/> is cancelled. With a checkpointer that holds a position,
    /// the stream resumes after it; otherwise it starts at <see cref="ChaincodeEventsOptions.StartBlock"/>
    /// or at the next block committed.
    /// </summary>
    /// <remarks>The checkpointer is not advanced here: call <see cref="Checkpointer.CheckpointChaincodeEvent"/>
    /// once an event is processed, so a restart resumes after the last one handled.</remarks>
    /// <exception cref="GatewayException">The gateway refused or broke the stream (transaction id empty).</exception>
    public async IAsyncEnumerable<CommittedChaincodeEvent> GetChaincodeEventsAsync(
        string chaincodeName,
        ChaincodeEventsOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(chaincodeName);
        options ??= new ChaincodeEventsOptions();
        var request = new ChaincodeEventsRequest
        {
            ChannelId = Name,
            ChaincodeId = chaincodeName,
            Identity = Gateway.Identity.Serialize(),
        };
        var start = options.Checkpointer?.BlockNumber ?? options.StartBlock;
        if (start is { } block)
        {
            request.StartPosition = new SeekPosition { Specified = new SeekSpecified { Number = block } };
            request.AfterTransactionId = options.Checkpointer?.BlockNumber is null ? string.Empty : options.Checkpointer.TransactionId;
        }

        var requestBytes = request.ToByteString();
        var signed = new SignedChaincodeEventsRequest
        {
            Request = requestBytes,
            Signature = ByteString.CopyFrom(Gateway.Signer.Sign(requestBytes.Span)),
        };
        using var call = Gateway.Client.ChaincodeEvents(signed, cancellationToken: cancellationToken);
        while (true)
        {
            ChaincodeEventsResponse response;
            try
            {
                if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                response = call.ResponseStream.Current;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("chaincode event stream cancelled", ex, cancellationToken);
            }
            catch (RpcException ex)
            {
                throw new GatewayException("ChaincodeEvents", string.Empty, ex);
            }

            foreach (var e in response.Events)
            {
                yield return new CommittedChaincodeEvent(response.BlockNumber, e.TxId, e.ChaincodeId, e.EventName, e.Payload.ToByteArray());
            }
        }
    }
}
