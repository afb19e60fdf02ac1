using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pipeline.Chaincode;

namespace Pipeline.Ledger.Fabric.Msp;

/// <summary>
/// An authenticated identity: its MSP, certificate, the caller as the contract sees it, and its
/// public key for checking signatures.
/// </summary>
/// <remarks>Thread-safe: signature checks on the shared key are serialised.</remarks>
public sealed class MspMember
{
    private readonly Lock _keyGate = new();

    internal MspMember(string mspId, X509Certificate2 certificate, ClientIdentity identity, ECDsa publicKey)
    {
        MspId = mspId;
        Certificate = certificate;
        Identity = identity;
        PublicKey = publicKey;
    }

    /// <summary>MSP id (organisation).</summary>
    public string MspId { get; }

    /// <summary>The X.509 certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Caller as the contract sees it: id = certificate CN, attributes from the Fabric CA attribute extension.</summary>
    public ClientIdentity Identity { get; }

    internal ECDsa PublicKey { get; }

    /// <summary>True when <paramref name="signature"/> is this member's low-S ECDSA signature over <paramref name="message"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        lock (_keyGate)
        {
            return EcdsaSignatures.Verify(PublicKey, message, signature);
        }
    }
}
