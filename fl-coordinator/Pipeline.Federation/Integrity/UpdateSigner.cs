using System.Security.Cryptography;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;

namespace Pipeline.Federation;

/// <summary>
/// Signs and verifies <see cref="ModelUpdate"/>s with ECDSA P-256 / SHA-256. The signed bytes are the update's Avro
/// single-object encoding with an empty signature, so every field — round, base version, nonce, parameters — is covered.
/// </summary>
public static class UpdateSigner
{
    /// <summary>Returns <paramref name="update"/> with its signature set.</summary>
    public static ModelUpdate Sign(ModelUpdate update, ECDsa privateKey)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(privateKey);
        return update with { Signature = privateKey.SignData(SignedBytes(update), HashAlgorithmName.SHA256) };
    }

    /// <summary>True when the signature is a valid signature of the update by <paramref name="publicKey"/>.</summary>
    public static bool Verify(ModelUpdate update, ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(publicKey);
        return update.Signature.Length > 0 && publicKey.VerifyData(SignedBytes(update), update.Signature, HashAlgorithmName.SHA256);
    }

    private static byte[] SignedBytes(ModelUpdate update) => AvroSingleObject.Encode(update with { Signature = [] });
}
