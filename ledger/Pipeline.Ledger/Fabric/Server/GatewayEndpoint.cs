namespace Pipeline.Ledger.Fabric.Server;

/// <summary>Where one embedded peer's Gateway service listens.</summary>
/// <param name="PeerId">Peer id, e.g. <c>peer0</c>.</param>
/// <param name="Address">gRPC address, e.g. <c>http://127.0.0.1:7051</c> (HTTP/2 without TLS).</param>
public sealed record GatewayEndpoint(string PeerId, string Address);
