using Grpc.Core;
using Microsoft.Extensions.Logging;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Protos.Peer;
using ChaincodeGrpc = Pipeline.Ledger.Fabric.Protos.Peer.Chaincode;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// The <c>protos.Chaincode</c> gRPC service a Fabric peer dials when chaincode runs as a service:
/// each <c>Connect</c> stream is one <see cref="ShimConnection"/>.
/// </summary>
internal sealed class ChaincodeService : ChaincodeGrpc.ChaincodeBase
{
    private readonly IContract _contract;
    private readonly ChaincodeServerOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly ILogger _logger;

    public ChaincodeService(ChaincodeServiceContext context)
    {
        _contract = context.Contract;
        _options = context.Options;
        _slots = context.Slots;
        _logger = context.Logger;
    }

    public override Task Connect(IAsyncStreamReader<ChaincodeMessage> requestStream, IServerStreamWriter<ChaincodeMessage> responseStream, ServerCallContext context) =>
        new ShimConnection(_contract, _options, _slots, _logger, context.Peer).RunAsync(requestStream, responseStream, context.CancellationToken);
}
