namespace Pipeline.Processing.Whitelist;

/// <summary>The identity the whitelist processor signs proposals to external Fabric peers with
/// (configuration "Processing:Whitelist:FabricIdentity").</summary>
public sealed class FabricIdentityOptions
{
    /// <summary>MSP id of the identity, e.g. `OrgHQMSP`.</summary>
    public string MspId { get; set; } = "";

    /// <summary>PEM X.509 certificate of the identity (cryptogen: `users/User1@ORG/msp/signcerts/*.pem`).</summary>
    public string CertificateFile { get; set; } = "";

    /// <summary>PEM ECDSA P-256 private key of the certificate, PKCS#8 or SEC1 (cryptogen: `users/User1@ORG/msp/keystore/priv_sk`).</summary>
    public string KeyFile { get; set; } = "";
}
