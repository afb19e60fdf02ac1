using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Protos.Msp;

namespace Pipeline.Ledger.Fabric.Msp;

/// <summary>
/// The MSPs a peer trusts (MSP id → CA certificate) and the check that turns a Fabric
/// <c>SerializedIdentity</c> (MSP id + PEM certificate) into an authenticated <see cref="MspMember"/>:
/// the MSP must be known, the certificate issued by its CA and valid now, its key ECDSA P-256.
/// </summary>
/// <remarks>Thread-safe. Accepted identities are cached by their serialized bytes (bounded), so a
/// signature check on a known identity costs one ECDSA verification.</remarks>
public sealed class MembershipRegistry : IDisposable
{
    private const int CacheLimit = 10_000;

    private readonly Dictionary<string, X509Certificate2> _authorities;
    private readonly ConcurrentDictionary<ByteString, MspMember> _members = new();

    /// <param name="authorities">MSP id → CA certificate.</param>
    public MembershipRegistry(IReadOnlyDictionary<string, X509Certificate2> authorities)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        if (authorities.Count == 0)
        {
            throw new ArgumentException("a membership registry needs at least one MSP", nameof(authorities));
        }

        _authorities = new Dictionary<string, X509Certificate2>(authorities, StringComparer.Ordinal);
    }

    /// <summary>MSP ids trusted, ordinal order.</summary>
    public IReadOnlyList<string> MspIds => _authorities.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Loads every <c>msp/&lt;MspId&gt;/cacerts/ca.pem</c> of a ledger data directory.</summary>
    /// <exception cref="MspException">There is no MSP material (run <c>pipeline ledger init</c>).</exception>
    public static MembershipRegistry Load(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        var root = MspLayout.Root(dataDirectory);
        var authorities = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
        if (Directory.Exists(root))
        {
            foreach (var dir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                var mspId = Path.GetFileName(dir);
                var path = MspLayout.CaCertificate(dataDirectory, mspId);
                if (File.Exists(path))
                {
                    authorities[mspId] = X509Certificate2.CreateFromPem(File.ReadAllText(path));
                }
            }
        }

        if (authorities.Count == 0)
        {
            throw new MspException($"no MSP material in {Path.GetFullPath(root)}: run 'pipeline ledger init --data-dir {dataDirectory}' first");
        }

        return new MembershipRegistry(authorities);
    }

    /// <summary>Authenticates a serialized identity (the <c>creator</c> of a proposal or envelope).</summary>
    /// <exception cref="MspException">Unknown MSP, malformed identity, certificate not issued by the MSP's CA, or not valid now.</exception>
    public MspMember Authenticate(ByteString serializedIdentity)
    {
        ArgumentNullException.ThrowIfNull(serializedIdentity);
        if (_members.TryGetValue(serializedIdentity, out var known) && known.Certificate.NotAfter > DateTime.Now)
        {
            return known;
        }

        SerializedIdentity identity;
        try
        {
            identity = SerializedIdentity.Parser.ParseFrom(serializedIdentity);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new MspException($"creator is not a serialized identity: {ex.Message}", ex);
        }

        var member = Validate(identity.Mspid, identity.IdBytes.ToStringUtf8());
        if (_members.Count >= CacheLimit)
        {
            _members.Clear();
        }

        _members[serializedIdentity] = member;
        return member;
    }

    /// <summary>Closes the CA certificates.</summary>
    public void Dispose()
    {
        foreach (var ca in _authorities.Values)
        {
            ca.Dispose();
        }
    }

    private MspMember Validate(string mspId, string pem)
    {
        if (!_authorities.TryGetValue(mspId, out var ca))
        {
            throw new MspException(mspId, $"MSP '{mspId}' is unknown to this peer (it trusts {string.Join(", ", MspIds)})");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new MspException(mspId, $"identity of MSP '{mspId}' is not a PEM X.509 certificate: {ex.Message}", ex);
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate))
        {
            var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
            var subject = certificate.Subject;
            certificate.Dispose();
            throw new MspException(mspId, $"certificate '{subject}' is not valid for MSP '{mspId}': {(why.Length == 0 ? "not issued by its CA" : why)}");
        }

        var key = certificate.GetECDsaPublicKey();
        if (key is null || key.KeySize != 256)
        {
            key?.Dispose();
            var subject = certificate.Subject;
            certificate.Dispose();
            throw new MspException(mspId, $"certificate '{subject}' of MSP '{mspId}' has no ECDSA P-256 key");
        }

        var commonName = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        var client = new ClientIdentity
        {
            Id = string.IsNullOrEmpty(commonName) ? certificate.Subject : commonName,
            MspId = mspId,
            Attributes = FabricCaAttributes.Read(certificate),
        };
        return new MspMember(mspId, certificate, client, key);
    }

    /// <summary>A serialized identity (what proposals carry as <c>creator</c>) for <paramref name="mspId"/> and a PEM certificate.</summary>
    public static ByteString Serialize(string mspId, string certificatePem) =>
        new SerializedIdentity { Mspid = mspId, IdBytes = ByteString.CopyFrom(Encoding.UTF8.GetBytes(certificatePem)) }.ToByteString();
}
