using Pipeline.Chaincode;

namespace Pipeline.Bench.PeerIndex;

/// <summary>
/// Runs the real whitelist contract and then holds the peer's worker slot for a fixed service
/// time, modelling what a remote Fabric peer spends per query besides our in-process evaluation
/// (gRPC, signature checks, endorsement). It makes each embedded peer an independent capacity, as
/// separate machines are, instead of four peers sharing this machine's two cores.
/// </summary>
/// <remarks>
/// <c>GetAllAssets</c> (the busy peer's background work in the heterogeneous case: a full-catalogue
/// export) takes <paramref name="heavyServiceTime"/> instead, so it holds its slots for long.
/// </remarks>
internal sealed class ServiceTimeContract(IContract inner, TimeSpan queryServiceTime, TimeSpan heavyServiceTime) : IContract
{
    public string Name => inner.Name;

    public byte[] Invoke(IChaincodeStub stub, string function, IReadOnlyList<string> args)
    {
        var result = inner.Invoke(stub, function, args);
        var serviceTime = function == WhitelistFunctions.GetAllAssets ? heavyServiceTime : queryServiceTime;
        if (serviceTime > TimeSpan.Zero)
        {
            // A modelled latency inside the peer (the slot stays held), not a synchronisation fix.
            Thread.Sleep(serviceTime);
        }

        return result;
    }
}
