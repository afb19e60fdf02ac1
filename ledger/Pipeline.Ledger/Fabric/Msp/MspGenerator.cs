using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pipeline.Chaincode;

namespace Pipeline.Ledger.Fabric.Msp;

/// <summary>
/// Generates an organisation's MSP material with the base library's certificate APIs: a self-signed
/// ECDSA P-256 CA and, signed by it, an <c>admin</c> (role=admin), a <c>user</c> (role=user) and a
/// <c>peer</c> identity, written as PEM files in the <see cref="MspLayout"/> of a ledger data directory.
/// </summary>
public static class MspGenerator
{
    /// <summary>Validity of generated certificates.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(3650);

    /// <summary>Creates the CA and the three identities of <paramref name="mspId"/>; refuses to overwrite unless <paramref name="overwrite"/>.</summary>
    /// <returns>The files written.</returns>
    /// <exception cref="IOException">Material for this MSP exists and <paramref name="overwrite"/> is false.</exception>
    public static IReadOnlyList<string> Generate(string dataDirectory, string mspId, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ValidateMspId(mspId);
        var caPath = MspLayout.CaCertificate(dataDirectory, mspId);
        if (File.Exists(caPath) && !overwrite)
        {
            throw new IOException($"MSP material for {mspId} already exists at {Path.GetFullPath(caPath)} (use --force to replace it)");
        }

        var written = new List<string>();
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest(new X500DistinguishedName($"CN=ca.{mspId}, O={mspId}"), caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now, now + Validity);
        Write(caPath, ca.ExportCertificatePem(), written);
        Write(MspLayout.CaKey(dataDirectory, mspId), caKey.ExportPkcs8PrivateKeyPem(), written);

        foreach (var (name, role) in new[] { (MspLayout.Admin, OwnerRoles.Admin), (MspLayout.User, OwnerRoles.User), (MspLayout.Peer, MspLayout.Peer) })
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(new X500DistinguishedName($"CN={name}@{mspId}, OU={(name == MspLayout.Peer ? "peer" : "client")}, O={mspId}"), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(FabricCaAttributes.Create(new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ClientIdentity.RoleAttribute] = role,
                ["hf.EnrollmentID"] = name,
            }));
            using var certificate = request.Create(ca, now, now + Validity, SerialNumber());
            Write(MspLayout.Certificate(dataDirectory, mspId, name), certificate.ExportCertificatePem(), written);
            Write(MspLayout.PrivateKey(dataDirectory, mspId, name), key.ExportPkcs8PrivateKeyPem(), written);
        }

        return written;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="mspId"/> is a usable MSP id (letters, digits, '.', '-', '_').</summary>
    public static void ValidateMspId(string mspId)
    {
        if (string.IsNullOrWhiteSpace(mspId) || mspId.Length > 64 || !mspId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            throw new ArgumentException($"MSP id '{mspId}' must be 1..64 letters, digits, '.', '-' or '_'", nameof(mspId));
        }
    }

    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        return new BigInteger(serial, isUnsigned: true, isBigEndian: true).IsZero ? [1] : serial;
    }

    private static void Write(string path, string pem, List<string> written)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, pem + "\n");
        if (!OperatingSystem.IsWindows() && path.EndsWith("key.pem", StringComparison.Ordinal))
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        written.Add(path);
    }
}
