using Microsoft.Extensions.Logging;
using Pipeline.Chaincode;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>What every Connect stream of one server shares: the contract, the options and the transaction slots.</summary>
internal sealed record ChaincodeServiceContext(IContract Contract, ChaincodeServerOptions Options, SemaphoreSlim Slots, ILogger Logger);
