using System.Text.Json;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.PeerIndex;

namespace Pipeline.Processing.Whitelist;

/// <summary>The real lookup: the peer index selects and reserves a ledger peer with the configured
/// strategy (Single, RoundRobin, DynamicThrottle), the peer evaluates VerifyExecutions for every
/// hash of the launch in one call (plus FindByAppName for the names of unknown hashes), and the
/// reservation is released with the peer's fresh load (the cool-down update).</summary>
/// <remarks>Thread-safe. While D_THROTTLE answers -1 (no ready or available peer; the selector has
/// asked for scale-up) the lookup retries with a short backoff until its deadline, which then makes
/// it a lookup failure.</remarks>
public sealed class LedgerWhitelistLookup : IWhitelistLookup
{
    private readonly RedisPeerSelector _selector;
    private readonly Func<string, LedgerPeer> _peers;
    private readonly ClientIdentity _identity;

    /// <param name="selector">Peer index selector.</param>
    /// <param name="peers">Resolves a peer id to the ledger peer (e.g. LedgerNetwork.GetPeer).</param>
    /// <param name="identity">Identity the queries are evaluated as.</param>
    public LedgerWhitelistLookup(RedisPeerSelector selector, Func<string, LedgerPeer> peers, ClientIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(identity);
        _selector = selector;
        _peers = peers;
        _identity = identity;
    }

    public async Task<WhitelistAnswer> VerifyAsync(IReadOnlyList<WhitelistQuery> queries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queries);
        // D_THROTTLE answers -1 while every peer is past the available line; the selector has asked
        // for scale-up, and the query waits for a freed slot until the caller's deadline cancels it.
        var selection = await _selector.SelectAsync(cancellationToken).ConfigureAwait(false);
        var backoff = 1;
        while (selection.PeerId is null)
        {
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            backoff = Math.Min(backoff * 2, 50);
            selection = await _selector.SelectAsync(cancellationToken).ConfigureAwait(false);
        }
        var peerId = selection.PeerId;
        LedgerPeer? peer = null;
        try
        {
            peer = _peers(peerId);
            var hashes = JsonSerializer.Serialize(queries.Select(q => q.Sha256).ToArray());
            var json = await peer.EvaluateAsync(WhitelistFunctions.VerifyExecutions, [hashes], _identity, cancellationToken).ConfigureAwait(false);
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
                    var assets = await peer.EvaluateAsync(WhitelistFunctions.FindByAppName, [queries[i].AppName], _identity, cancellationToken).ConfigureAwait(false);
                    known = (JsonSerializer.Deserialize<WhitelistAsset[]>(assets, ContractJson.Options) ?? []).Length > 0;
                    knownNames[queries[i].AppName] = known;
                }
                results[i] = new HashStatus(check.Sha256, check.Exists, check.AppName, check.OwnerRole, known);
            }
            return new WhitelistAnswer(peerId, results);
        }
        catch (ContractException e)
        {
            throw new WhitelistLookupException($"peer {peerId} refused the query: {e.Message}", peerId, e);
        }
        finally
        {
            await _selector.ReleaseAsync(selection, peer is null ? null : LedgerPeerLoadSource.Read(peer), CancellationToken.None).ConfigureAwait(false);
        }
    }
}
