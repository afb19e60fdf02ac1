using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Protos.Msp;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// Turns the creator of a Fabric proposal (a <c>msp.SerializedIdentity</c>: MSP id + PEM certificate)
/// into the <see cref="ClientIdentity"/> the contract sees, the way Fabric's client-identity library does.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>Id</c> = the certificate's common name (its subject when it has none), the same id the embedded
/// peers' <see cref="Msp.MembershipRegistry"/> gives the same certificate, so records written through either
/// path name the caller alike. (Fabric's own <c>GetID</c> would be <c>x509::subject::issuer</c>.)</item>
/// <item>Attributes come from the Fabric CA attribute extension (<see cref="Msp.FabricCaAttributes"/>, JSON
/// <c>{"attrs":{"role":"admin"}}</c>). When that carries no <c>role</c>, a certificate whose subject has
/// the Fabric NodeOU <c>OU=admin</c> (what cryptogen issues to an organisation's admin) gets
/// <c>role=admin</c>, so MSP admins may write on networks built without a Fabric CA.</item>
/// </list>
/// Idemix identities are not supported: the id bytes must be a PEM (or DER) X.509 certificate.
/// </remarks>
public static class CertificateIdentity
{
    /// <summary>Parses a serialized <c>msp.SerializedIdentity</c>.</summary>
    /// <exception cref="ChaincodeProtocolException">The bytes are not a serialized identity with an X.509 certificate.</exception>
    public static ClientIdentity FromSerializedIdentity(ByteString serializedIdentity)
    {
        ArgumentNullException.ThrowIfNull(serializedIdentity);
        SerializedIdentity identity;
        try
        {
            identity = SerializedIdentity.Parser.ParseFrom(serializedIdentity);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ChaincodeProtocolException($"creator is not a serialized msp identity: {ex.Message}", ex);
        }

        return FromCertificate(identity.Mspid, identity.IdBytes.Span);
    }

    /// <summary>Builds the identity of <paramref name="mspId"/>'s member holding the certificate in <paramref name="certificate"/> (PEM or DER).</summary>
    /// <exception cref="ChaincodeProtocolException">No MSP id, or the bytes are not an X.509 certificate.</exception>
    public static ClientIdentity FromCertificate(string mspId, ReadOnlySpan<byte> certificate)
    {
        if (string.IsNullOrWhiteSpace(mspId))
        {
            throw new ChaincodeProtocolException("creator has no MSP id");
        }

        using var cert = Load(certificate);
        Dictionary<string, string> attributes;
        try
        {
            attributes = new Dictionary<string, string>(FabricCaAttributes.Read(cert), StringComparer.Ordinal);
        }
        catch (MspException ex)
        {
            throw new ChaincodeProtocolException($"creator certificate: {ex.Message}", ex);
        }

        if (!attributes.ContainsKey(ClientIdentity.RoleAttribute) && HasAdminOu(cert.SubjectName))
        {
            attributes[ClientIdentity.RoleAttribute] = OwnerRoles.Admin;
        }

        return new ClientIdentity
        {
            Id = cert.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } commonName ? commonName : cert.Subject,
            MspId = mspId,
            Attributes = attributes,
        };
    }

    private static X509Certificate2 Load(ReadOnlySpan<byte> certificate)
    {
        try
        {
            var text = Encoding.ASCII.GetString(certificate);
            return text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(certificate);
        }
        catch (CryptographicException ex)
        {
            throw new ChaincodeProtocolException($"creator certificate is not a valid X.509 certificate: {ex.Message}", ex);
        }
    }

    private static bool HasAdminOu(X500DistinguishedName name)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements
                && rdn.GetSingleElementType().Value == "2.5.4.11"
                && string.Equals(rdn.GetSingleElementValue(), "admin", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
