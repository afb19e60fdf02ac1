using System.Text.Json.Serialization;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// The <c>connection.json</c> of a chaincode-as-a-service package: where the peer dials the chaincode
/// server and how (fields as Fabric's ccaas builder reads them).
/// </summary>
public sealed record ChaincodeConnection
{
    /// <summary><c>host:port</c> of the chaincode server as seen from the peer (e.g. <c>whitelist-cc:9999</c>).</summary>
    [JsonPropertyName("address")]
    public required string Address { get; init; }

    /// <summary>How long the peer waits to connect, as a Go duration (<c>10s</c>).</summary>
    [JsonPropertyName("dial_timeout")]
    public string DialTimeout { get; init; } = "10s";

    /// <summary>Whether the peer dials with TLS.</summary>
    [JsonPropertyName("tls_required")]
    public bool TlsRequired { get; init; }

    /// <summary>Whether the chaincode server requires the peer's client certificate.</summary>
    [JsonPropertyName("client_auth_required")]
    public bool ClientAuthRequired { get; init; }

    /// <summary>PEM key of the peer's client certificate (mutual TLS), else empty.</summary>
    [JsonPropertyName("client_key")]
    public string ClientKey { get; init; } = string.Empty;

    /// <summary>PEM client certificate the peer presents (mutual TLS), else empty.</summary>
    [JsonPropertyName("client_cert")]
    public string ClientCert { get; init; } = string.Empty;

    /// <summary>PEM root certificate the peer trusts for the chaincode server (TLS), else empty.</summary>
    [JsonPropertyName("root_cert")]
    public string RootCert { get; init; } = string.Empty;
}
