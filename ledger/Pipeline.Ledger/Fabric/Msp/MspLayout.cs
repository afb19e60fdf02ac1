namespace Pipeline.Ledger.Fabric.Msp;

/// <summary>
/// Where <c>pipeline ledger init</c> puts the MSP material inside a ledger data directory:
/// <c>msp/&lt;MspId&gt;/cacerts/ca.pem</c> (the organisation's CA certificate, what peers trust),
/// <c>msp/&lt;MspId&gt;/ca/key.pem</c> (the CA's private key) and
/// <c>msp/&lt;MspId&gt;/identities/&lt;name&gt;/cert.pem</c> + <c>key.pem</c> (PKCS#8) per identity.
/// </summary>
public static class MspLayout
{
    /// <summary>Folder of the MSP material inside a ledger data directory.</summary>
    public const string Folder = "msp";

    /// <summary>Identity with <c>role=admin</c> (writes the whitelist).</summary>
    public const string Admin = "admin";

    /// <summary>Identity with <c>role=user</c> (reads and verifies).</summary>
    public const string User = "user";

    /// <summary>Identity the embedded peers endorse with.</summary>
    public const string Peer = "peer";

    /// <summary>Root of the MSP material of a ledger data directory.</summary>
    public static string Root(string dataDirectory) => Path.Combine(dataDirectory, Folder);

    /// <summary>CA certificate file of an MSP.</summary>
    public static string CaCertificate(string dataDirectory, string mspId) => Path.Combine(Root(dataDirectory), mspId, "cacerts", "ca.pem");

    /// <summary>CA private key file of an MSP.</summary>
    public static string CaKey(string dataDirectory, string mspId) => Path.Combine(Root(dataDirectory), mspId, "ca", "key.pem");

    /// <summary>Certificate file of an identity.</summary>
    public static string Certificate(string dataDirectory, string mspId, string name) => Path.Combine(Root(dataDirectory), mspId, "identities", name, "cert.pem");

    /// <summary>Private key file of an identity.</summary>
    public static string PrivateKey(string dataDirectory, string mspId, string name) => Path.Combine(Root(dataDirectory), mspId, "identities", name, "key.pem");
}
