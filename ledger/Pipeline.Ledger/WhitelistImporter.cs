using Pipeline.Chaincode;

namespace Pipeline.Ledger;

/// <summary>Loads a <see cref="WhitelistCatalogue"/> into a running ledger network.</summary>
public static class WhitelistImporter
{
    /// <summary>
    /// Submits EnrollEndpoint for every endpoint and CreateAsset for every app, up to
    /// <paramref name="concurrency"/> at a time (so the orderer batches them into blocks). Items the
    /// ledger already holds are counted and skipped; any other refusal stops the import.
    /// </summary>
    /// <exception cref="EndorsementException">The contract refused an item for a reason other than it already existing.</exception>
    public static async Task<ImportSummary> ImportAsync(
        LedgerNetwork network,
        WhitelistCatalogue catalogue,
        ClientIdentity admin,
        int concurrency,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);

        var endpointCalls = catalogue.Endpoints
            .Select(e => (WhitelistFunctions.EnrollEndpoint, (IReadOnlyList<string>)[e.EndpointId, e.Organisation, e.Platform]));
        var appCalls = catalogue.Apps
            .Select(a => (WhitelistFunctions.CreateAsset, (IReadOnlyList<string>)[a.Sha256, a.AppName, a.AppVersion, a.Platform, a.OwnerRole, a.OwnerId ?? string.Empty, a.Approver ?? string.Empty]));
        var enrolled = 0;
        var created = 0;
        var present = 0;
        var invalidated = 0;

        using var gate = new SemaphoreSlim(concurrency);
        var tasks = endpointCalls.Concat(appCalls).Select(async call =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await network.SubmitAsync(call.Item1, call.Item2, admin, cancellationToken).ConfigureAwait(false);
                if (!result.IsValid)
                {
                    Interlocked.Increment(ref invalidated);
                }
                else if (call.Item1 == WhitelistFunctions.EnrollEndpoint)
                {
                    Interlocked.Increment(ref enrolled);
                }
                else
                {
                    Interlocked.Increment(ref created);
                }
            }
            catch (EndorsementException ex) when (ex.Code == ContractErrorCode.AlreadyExists)
            {
                Interlocked.Increment(ref present);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return new ImportSummary(enrolled, created, present, invalidated, network.Height);
    }
}
