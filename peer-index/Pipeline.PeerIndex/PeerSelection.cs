namespace Pipeline.PeerIndex;

/// <summary>The answer to one lookup: a peer to send the query to, or no capacity.</summary>
/// <remarks>
/// A <see cref="SelectionOutcome.Reserved"/> or <see cref="SelectionOutcome.Fallback"/> selection
/// must be handed back to <see cref="RedisPeerSelector.ReleaseAsync(PeerSelection, PeerLoad?, CancellationToken)"/>
/// when the query completes.
/// </remarks>
/// <param name="Outcome">How the lookup was answered.</param>
/// <param name="PeerId">The peer, or null when <see cref="SelectionOutcome.NoCapacity"/>.</param>
public readonly record struct PeerSelection(SelectionOutcome Outcome, string? PeerId)
{
    /// <summary>The typed -1 of D_THROTTLE.</summary>
    public static PeerSelection NoCapacity { get; } = new(SelectionOutcome.NoCapacity, null);

    /// <summary>Whether a peer was returned.</summary>
    public bool HasPeer => PeerId is not null;
}
