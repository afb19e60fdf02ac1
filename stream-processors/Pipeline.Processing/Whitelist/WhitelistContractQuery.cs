using System.Text.Json;
using Pipeline.Chaincode;
using Pipeline.PeerIndex;

namespace Pipeline.Processing.Whitelist;

/// <summary>The steps every ledger transport of the whitelist lookup shares: reserving a peer with the index's
/// strategy, and asking that peer's whitelist contract about a launch's hashes.</summary>
internal static class WhitelistContractQuery
{
    /// <summary>Reserves a peer. While D_THROTTLE answers -1 (no ready or available peer; the selector has asked for
    /// scale-up) it tries again after a short, growing backoff until <paramref name="cancellationToken"/> (the caller's
    /// deadline) cancels it.</summary>
    public static async Task<PeerSelection> ReserveAsync(RedisPeerSelector selector, CancellationToken cancellationToken)
    {
        var selection = await selector.SelectAsync(cancellationToken).ConfigureAwait(false);
        var backoff = 1;
        while (selection.PeerId is null)
        {
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            backoff = Math.Min(backoff * 2, 50);
            selection = await selector.SelectAsync(cancellationToken).ConfigureAwait(false);
        }
        return selection;
    }

    /// <summary>VerifyExecutions for every hash of the launch in one evaluation, then FindByAppName once per distinct
    /// name of a hash that is not on the ledger (is the name known with another hash?).</summary>
    /// <param name="peerId">The peer answering, for error messages.</param>
    /// <param name="queries">The launch's hashes.</param>
    /// <param name="evaluate">Evaluates a contract function with its arguments on that peer.</param>
    /// <param name="cancellationToken">The caller's deadline.</param>
    /// <exception cref="WhitelistLookupException">The peer's answer does not fit the question.</exception>
    public static async Task<HashStatus[]> AskAsync(
        string peerId,
        IReadOnlyList<WhitelistQuery> queries,
        Func<string, IReadOnlyList<string>, CancellationToken, Task<byte[]>> evaluate,
        CancellationToken cancellationToken)
    {
        var hashes = JsonSerializer.Serialize(queries.Select(q => q.Sha256).ToArray());
        var json = await evaluate(WhitelistFunctions.VerifyExecutions, [hashes], cancellationToken).ConfigureAwait(false);
        var checks = JsonSerializer.Deserialize<ExecutionCheck[]>(json, ContractJson.Options)
            ?? throw new WhitelistLookupException($"peer {peerId} answered VerifyExecutions with null", peerId);
        if (checks.Length != queries.Count)
        {
            throw new WhitelistLookupException($"peer {peerId} answered {checks.Length} checks for {queries.Count} hashes", peerId);
        }
        var knownNames = new Dictionary<string, bool>(StringComparer.Ordinal);
        var results = new HashStatus[queries.Count];
        for (var i = 0; i < checks.Length; i++)
        {
            var check = checks[i];
            var known = false;
            if (!check.Exists && !knownNames.TryGetValue(queries[i].AppName, out known))
            {
                var assets = await evaluate(WhitelistFunctions.FindByAppName, [queries[i].AppName], cancellationToken).ConfigureAwait(false);
                known = (JsonSerializer.Deserialize<WhitelistAsset[]>(assets, ContractJson.Options) ?? []).Length > 0;
                knownNames[queries[i].AppName] = known;
            }
            results[i] = new HashStatus(check.Sha256, check.Exists, check.AppName, check.OwnerRole, known);
        }
        return results;
    }
}
