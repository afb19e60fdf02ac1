using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Pipeline.Ledger.Fabric.Msp;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>A client identity as Fabric knows it: the MSP id of its organisation and its X.509 certificate (PEM).</summary>
/// <param name="MspId">MSP id, e.g. <c>Org1MSP</c>.</param>
/// <param name="CertificatePem">The certificate, PEM encoded (sent as is: peers compare these bytes).</param>
public sealed record Identity(string MspId, string CertificatePem)
{
    /// <summary>Reads a PEM certificate file.</summary>
    /// <exception cref="ArgumentException">The file does not hold a PEM certificate.</exception>
    public static Identity FromFile(string mspId, string certificatePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mspId);
        var pem = File.ReadAllText(certificatePath);
        try
        {
            using var _ = X509Certificate2.CreateFromPem(pem);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new ArgumentException($"{certificatePath} is not a PEM X.509 certificate: {ex.Message}", nameof(certificatePath), ex);
        }

        return new Identity(mspId, pem);
    }

    /// <summary>The identity of <paramref name="name"/> (admin, user, peer) written by <c>pipeline ledger init</c> in a ledger data directory.</summary>
    public static Identity FromLedgerDirectory(string dataDirectory, string mspId, string name) =>
        FromFile(mspId, MspLayout.Certificate(dataDirectory, mspId, name));

    /// <summary>The serialized <c>msp.SerializedIdentity</c> (proposal creator).</summary>
    public ByteString Serialize() => MembershipRegistry.Serialize(MspId, CertificatePem);
}
