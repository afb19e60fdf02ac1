namespace Pipeline.Bench.PeerIndex;

/// <summary>How a DTS cell's verify queries reach the chosen ledger peer.</summary>
internal enum DtsTransport
{
    /// <summary><c>LedgerPeer.EvaluateAsync</c> called directly in this process.</summary>
    InProcess,

    /// <summary>
    /// A signed Fabric proposal through the C# Gateway client to that peer's Gateway gRPC service on
    /// loopback (<c>EmbeddedPeerGateways</c>), which authenticates and verifies it before evaluating.
    /// </summary>
    Gateway,
}
