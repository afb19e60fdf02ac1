using System.Security.Cryptography;
using Pipeline.Ledger.Fabric.Msp;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>
/// Signs with an ECDSA P-256 private key: SHA-256 digest, low-S, DER encoded, as Fabric requires.
/// </summary>
/// <remarks>Thread-safe (signing is serialised on the key). Dispose releases the key.</remarks>
public sealed class Signer : IDisposable
{
    private readonly ECDsa _key;
    private readonly Lock _gate = new();

    /// <summary>Takes ownership of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key is not P-256.</exception>
    public Signer(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != 256)
        {
            throw new ArgumentException($"Fabric signers use ECDSA P-256; this key has {key.KeySize} bits", nameof(key));
        }

        _key = key;
    }

    /// <summary>A signer from a PEM private key (PKCS#8 or SEC1).</summary>
    /// <exception cref="ArgumentException">The PEM holds no EC private key.</exception>
    public static Signer FromPem(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new ArgumentException($"not a PEM EC private key: {ex.Message}", nameof(pem), ex);
        }

        return new Signer(key);
    }

    /// <summary>A signer from a PEM private key file.</summary>
    public static Signer FromFile(string path) => FromPem(File.ReadAllText(path));

    /// <summary>The key of <paramref name="name"/> written by <c>pipeline ledger init</c> in a ledger data directory.</summary>
    public static Signer FromLedgerDirectory(string dataDirectory, string mspId, string name) =>
        FromFile(MspLayout.PrivateKey(dataDirectory, mspId, name));

    /// <summary>DER, low-S ECDSA signature of SHA-256(<paramref name="message"/>).</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        lock (_gate)
        {
            return EcdsaSignatures.Sign(_key, message);
        }
    }

    public void Dispose() => _key.Dispose();
}
