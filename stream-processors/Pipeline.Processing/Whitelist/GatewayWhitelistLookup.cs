using Pipeline.Ledger.Fabric.Client;
using Pipeline.PeerIndex;
using IndexLoad = Pipeline.PeerIndex.PeerLoad;

namespace Pipeline.Processing.Whitelist;

/// <summary>The whitelist lookup over the Fabric Gateway protocol: the peer index selects and
/// reserves a peer with the configured strategy, that peer's gateway evaluates VerifyExecutions for
/// every hash of the launch (plus FindByAppName for the names of unknown hashes) as a signed
/// proposal, and the reservation is released with the peer's fresh load when one is known.</summary>
/// <remarks>Thread-safe. Answers exactly as <see cref="LedgerWhitelistLookup"/> does; only the
/// transport differs. While D_THROTTLE answers -1 the lookup retries with a short backoff until the
/// caller's deadline.</remarks>
public sealed class GatewayWhitelistLookup : IWhitelistLookup
{
    private readonly RedisPeerSelector _selector;
    private readonly Func<string, Contract> _contracts;
    private readonly Func<string, IndexLoad?> _loads;

    /// <param name="selector">Peer index selector.</param>
    /// <param name="contracts">The whitelist contract through a peer's gateway, by peer id.</param>
    /// <param name="loads">The peer's fresh load for the release update, or null when not known here.</param>
    public GatewayWhitelistLookup(RedisPeerSelector selector, Func<string, Contract> contracts, Func<string, IndexLoad?>? loads = null)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(contracts);
        _selector = selector;
        _contracts = contracts;
        _loads = loads ?? (_ => null);
    }

    public async Task<WhitelistAnswer> VerifyAsync(IReadOnlyList<WhitelistQuery> queries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var selection = await WhitelistContractQuery.ReserveAsync(_selector, cancellationToken).ConfigureAwait(false);
        var peerId = selection.PeerId!;
        var reached = false;
        try
        {
            var contract = _contracts(peerId);
            reached = true;
            var results = await WhitelistContractQuery.AskAsync(peerId, queries, contract.EvaluateTransactionAsync, cancellationToken).ConfigureAwait(false);
            return new WhitelistAnswer(peerId, results);
        }
        catch (GatewayException e)
        {
            throw new WhitelistLookupException($"peer {peerId}'s gateway refused the query: {e.Message}", peerId, e);
        }
        finally
        {
            await _selector.ReleaseAsync(selection, reached ? _loads(peerId) : null, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
