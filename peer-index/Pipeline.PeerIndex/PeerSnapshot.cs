namespace Pipeline.PeerIndex;

/// <summary>A peer as the index holds it right now.</summary>
/// <param name="PeerId">The peer id.</param>
/// <param name="Index">Registration index (selection order).</param>
/// <param name="MspId">The peer's organisation.</param>
/// <param name="Endpoint">Where clients reach it.</param>
/// <param name="Load">The load it last reported (or a release carried).</param>
/// <param name="Reserved">Reservations not yet released.</param>
/// <param name="Pending">Reservations not yet visible in <paramref name="Load"/>.</param>
/// <param name="EffectiveLoadPercent">Load plus pending reservation cost.</param>
/// <param name="Status">Status from the effective load.</param>
public sealed record PeerSnapshot(
    string PeerId,
    long Index,
    string MspId,
    string Endpoint,
    PeerLoad Load,
    int Reserved,
    int Pending,
    double EffectiveLoadPercent,
    PeerStatus Status);
