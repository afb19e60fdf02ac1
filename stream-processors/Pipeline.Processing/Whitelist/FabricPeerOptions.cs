namespace Pipeline.Processing.Whitelist;

/// <summary>One peer of an external Fabric network that the whitelist processor queries through its
/// Gateway service (configuration "Processing:Whitelist:FabricPeers:&lt;i&gt;").</summary>
/// <remarks>External peers do not report to the peer index themselves: the processor registers each
/// one and reports, as its load, this client's in-flight calls to it over <see cref="Slots"/>.</remarks>
public sealed class FabricPeerOptions
{
    /// <summary>Peer id in the peer index (letters, digits, '.', '_' or '-'), e.g. `peer0.orghq.example.com`.</summary>
    public string Id { get; set; } = "";

    /// <summary>The peer's Gateway endpoint: `https://host:port` (TLS) or `http://host:port` (plaintext HTTP/2).</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>MSP the peer belongs to, as registered in the peer index (the Single strategy prefers the caller's); empty = FabricIdentity:MspId.</summary>
    public string MspId { get; set; } = "";

    /// <summary>PEM file with the CA certificate(s) the peer's TLS certificate must chain to (cryptogen: `tlsca/tlsca.ORG-cert.pem`); required for https, not allowed for http.</summary>
    public string TlsCaFile { get; set; } = "";

    /// <summary>Host name the peer's TLS certificate is checked against instead of the endpoint's host (e.g. `peer0.orghq.example.com` when dialing `https://localhost:7051`); https only.</summary>
    public string ServerNameOverride { get; set; } = "";

    /// <summary>This client's concurrent calls to the peer that count as 100 % load in the peer index (the reported load is in-flight calls / Slots, an estimate of this client's share only).</summary>
    public int Slots { get; set; } = 10;
}
