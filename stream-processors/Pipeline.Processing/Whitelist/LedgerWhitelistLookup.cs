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
        var selection = await WhitelistContractQuery.ReserveAsync(_selector, cancellationToken).ConfigureAwait(false);
        var peerId = selection.PeerId!;
        LedgerPeer? peer = null;
        try
        {
            var target = _peers(peerId);
            peer = target;
            var results = await WhitelistContractQuery.AskAsync(peerId, queries,
                (function, args, ct) => target.EvaluateAsync(function, args, _identity, ct), cancellationToken).ConfigureAwait(false);
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
