using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;

namespace Pipeline.Ledger.Fabric.Msp;

/// <summary>
/// ECDSA P-256 over SHA-256 as Fabric signs: the signature is a DER <c>SEQUENCE { r, s }</c> with
/// a low S (s ≤ n/2), because Fabric's peers and orderers refuse the high-S twin of a signature.
/// </summary>
public static class EcdsaSignatures
{
    // Order n of the P-256 group (FIPS 186-4, D.1.2.3).
    private static readonly BigInteger CurveOrder = BigInteger.Parse(
        "115792089210356248762697446949407573529996955224135760342422259061068512044369", System.Globalization.CultureInfo.InvariantCulture);

    private static readonly BigInteger HalfOrder = CurveOrder >> 1;

    private const int ScalarBytes = 32;

    /// <summary>Signs SHA-256(<paramref name="message"/>) with <paramref name="key"/> and returns the low-S DER signature.</summary>
    /// <exception cref="ArgumentException">The key is not on P-256.</exception>
    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(key);
        RequireP256(key);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(message, hash);
        Span<byte> raw = stackalloc byte[2 * ScalarBytes];
        if (!key.TrySignHash(hash, raw, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written) || written != raw.Length)
        {
            throw new CryptographicException($"ECDSA signing produced {written} bytes instead of {raw.Length}");
        }

        var r = new BigInteger(raw[..ScalarBytes], isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(raw[ScalarBytes..], isUnsigned: true, isBigEndian: true);
        if (s > HalfOrder)
        {
            s = CurveOrder - s;
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(r);
            writer.WriteInteger(s);
        }

        return writer.Encode();
    }

    /// <summary>
    /// True when <paramref name="signature"/> is a DER, low-S ECDSA signature of SHA-256(<paramref name="message"/>)
    /// by <paramref name="publicKey"/>. Malformed or high-S signatures are false, never an exception.
    /// </summary>
    public static bool Verify(ECDsa publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (!TryReadDer(signature, out var r, out var s) || r.Sign <= 0 || s.Sign <= 0 || r >= CurveOrder || s > HalfOrder)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(message, hash);
        return publicKey.VerifyHash(hash, signature, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>True when the DER signature's S is at most n/2 (what Fabric accepts).</summary>
    public static bool IsLowS(ReadOnlySpan<byte> signature) => TryReadDer(signature, out _, out var s) && s <= HalfOrder;

    private static bool TryReadDer(ReadOnlySpan<byte> signature, out BigInteger r, out BigInteger s)
    {
        r = default;
        s = default;
        try
        {
            var reader = new AsnReader(signature.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            r = sequence.ReadInteger();
            s = sequence.ReadInteger();
            sequence.ThrowIfNotEmpty();
            reader.ThrowIfNotEmpty();
            return r.GetByteCount(isUnsigned: true) <= ScalarBytes && s.GetByteCount(isUnsigned: true) <= ScalarBytes;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static void RequireP256(ECDsa key)
    {
        if (key.KeySize != 256)
        {
            throw new ArgumentException($"Fabric identities sign with ECDSA P-256; this key has {key.KeySize} bits", nameof(key));
        }
    }
}
