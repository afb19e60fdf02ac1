namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// Options of the chaincode-as-a-service host (section <c>Chaincode</c>): where the gRPC server listens,
/// the package id it registers under, optional TLS, and limits.
/// </summary>
public sealed class ChaincodeServerOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chaincode";

    /// <summary>
    /// <c>HOST:PORT</c> to listen on, e.g. <c>0.0.0.0:9999</c> in a container or <c>127.0.0.1:0</c> for any free
    /// loopback port. HOST is an IP address (IPv6 in brackets) or a name resolved at start.
    /// </summary>
    public string Address { get; set; } = "0.0.0.0:9999";

    /// <summary>
    /// Package id the peer launched this chaincode for (<c>label:sha256</c>, printed by
    /// <c>pipeline chaincode package</c> and by <c>peer lifecycle chaincode queryinstalled</c>); sent in REGISTER.
    /// </summary>
    public string PackageId { get; set; } = string.Empty;

    /// <summary>PEM server certificate; with <see cref="TlsKeyFile"/> turns TLS on (connection.json <c>tls_required: true</c>).</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="TlsCertificateFile"/>.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>
    /// PEM CA certificate(s) that peers' client certificates must chain to; set it to require mutual TLS
    /// (connection.json <c>client_auth_required: true</c>). Needs TLS.
    /// </summary>
    public string? ClientCaFile { get; set; }

    /// <summary>Transactions run at once per server; further TRANSACTION messages wait for a slot.</summary>
    public int MaxConcurrentTransactions { get; set; } = 256;

    /// <summary>How long a state call (GET_STATE, PUT_STATE, ...) waits for the peer's RESPONSE before the transaction fails.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest gRPC message either way (Fabric's peer allows 100 MiB).</summary>
    public int MaxMessageBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>True when TLS files are configured.</summary>
    public bool TlsEnabled => !string.IsNullOrWhiteSpace(TlsCertificateFile) || !string.IsNullOrWhiteSpace(TlsKeyFile);

    /// <summary>Checks the values; the message names the offending key.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(PackageId))
        {
            throw new ArgumentException("Chaincode:PackageId is empty: pass --id (or set CHAINCODE_ID) to the package id that `pipeline chaincode package` printed");
        }

        if (string.IsNullOrWhiteSpace(Address))
        {
            throw new ArgumentException("Chaincode:Address is empty: expected HOST:PORT, e.g. 0.0.0.0:9999");
        }

        if (TlsEnabled && (string.IsNullOrWhiteSpace(TlsCertificateFile) || string.IsNullOrWhiteSpace(TlsKeyFile)))
        {
            throw new ArgumentException("Chaincode:TlsCertificateFile and Chaincode:TlsKeyFile must be set together");
        }

        if (!string.IsNullOrWhiteSpace(ClientCaFile) && !TlsEnabled)
        {
            throw new ArgumentException("Chaincode:ClientCaFile (mutual TLS) needs Chaincode:TlsCertificateFile and Chaincode:TlsKeyFile");
        }

        if (MaxConcurrentTransactions < 1)
        {
            throw new ArgumentException($"Chaincode:MaxConcurrentTransactions must be at least 1, got {MaxConcurrentTransactions}");
        }

        if (CallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Chaincode:CallTimeout must be positive, got {CallTimeout}");
        }

        if (MaxMessageBytes < 1024)
        {
            throw new ArgumentException($"Chaincode:MaxMessageBytes must be at least 1024, got {MaxMessageBytes}");
        }
    }
}
