namespace Pipeline.PeerIndex;

/// <summary>Reads a peer's current load; implemented by the ledger peer (or an adapter over it).</summary>
/// <remarks>Called from the reporter loop; must be cheap and thread-safe.</remarks>
public interface IPeerLoadSource
{
    /// <summary>The peer's load right now.</summary>
    PeerLoad ReadLoad();
}
