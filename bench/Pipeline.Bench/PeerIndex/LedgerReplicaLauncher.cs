using Pipeline.Ledger;
using Pipeline.PeerIndex;

namespace Pipeline.Bench.PeerIndex;

/// <summary>
/// Scale-up in the embedded stack: a new ledger replica through <see cref="LedgerNetwork.AddPeerAsync"/>
/// (opened, caught up from peer0's block file, added to block delivery), which then joins the index
/// by starting its load reporter.
/// </summary>
internal sealed class LedgerReplicaLauncher(LedgerNetwork ledger, Func<LedgerPeer, Task> join) : IPeerReplicaLauncher
{
    public async Task<string> StartReplicaAsync(string peerGroup, CancellationToken cancellationToken)
    {
        var peer = await ledger.AddPeerAsync(cancellationToken).ConfigureAwait(false);
        await join(peer).ConfigureAwait(false);
        return peer.Id;
    }
}
