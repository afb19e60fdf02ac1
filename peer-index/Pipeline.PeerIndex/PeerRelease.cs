namespace Pipeline.PeerIndex;

/// <summary>Releases <paramref name="Count"/> completed lookups on one peer (the cool-down update).</summary>
/// <param name="PeerId">The peer the lookups were reserved on.</param>
/// <param name="Count">How many of its reservations to release.</param>
/// <param name="FreshLoad">The peer's load measured as the queries completed, if known.</param>
public readonly record struct PeerRelease(string PeerId, int Count, PeerLoad? FreshLoad = null);
