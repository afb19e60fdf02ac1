namespace Pipeline.PeerIndex;

/// <summary>
/// Starts one more peer replica for a group (in the embedded stack: a ledger peer through the
/// ledger's add-peer API) and makes it join the index, i.e. starts its <see cref="PeerLoadReporter"/>.
/// </summary>
public interface IPeerReplicaLauncher
{
    /// <summary>Starts a replica and returns its peer id once it reports to the index.</summary>
    Task<string> StartReplicaAsync(string peerGroup, CancellationToken cancellationToken);
}
