using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Pipeline.Federation;

/// <summary>
/// The key registry shared by participants and the coordinator: a directory holding <c>&lt;participant&gt;.pub.pem</c>
/// (SubjectPublicKeyInfo, what the coordinator trusts) and, on a participant's machine, <c>&lt;participant&gt;.key.pem</c>
/// (PKCS#8 private key). A participant is registered by copying its public key file into the coordinator's directory.
/// </summary>
/// <remarks>Thread-safe. Keys are ECDSA P-256.</remarks>
public sealed partial class ParticipantKeyDirectory
{
    private const string PublicSuffix = ".pub.pem";
    private const string PrivateSuffix = ".key.pem";
    private readonly Lock _gate = new();

    /// <summary>Uses <paramref name="path"/> (created when missing).</summary>
    public ParticipantKeyDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    /// <summary>Absolute directory path.</summary>
    public string Path { get; }

    /// <summary>Checks that <paramref name="participantId"/> is usable as a file name ([A-Za-z0-9._-], 1–64 characters).</summary>
    /// <exception cref="ArgumentException">Another character or length.</exception>
    public static void ValidateId(string participantId)
    {
        if (participantId is null || !IdPattern().IsMatch(participantId))
        {
            throw new ArgumentException($"Participant id '{participantId}' must be 1-64 characters of letters, digits, '.', '_' or '-'.", nameof(participantId));
        }
    }

    /// <summary>Loads the participant's private key, creating and registering a new key pair when none exists.</summary>
    public ECDsa LoadOrCreatePrivateKey(string participantId)
    {
        ValidateId(participantId);
        lock (_gate)
        {
            var file = System.IO.Path.Combine(Path, participantId + PrivateSuffix);
            var key = ECDsa.Create();
            if (File.Exists(file))
            {
                key.ImportFromPem(File.ReadAllText(file));
            }
            else
            {
                key.GenerateKey(ECCurve.NamedCurves.nistP256);
                File.WriteAllText(file, key.ExportPkcs8PrivateKeyPem());
                File.WriteAllText(System.IO.Path.Combine(Path, participantId + PublicSuffix), key.ExportSubjectPublicKeyInfoPem());
            }

            return key;
        }
    }

    /// <summary>Registers <paramref name="publicKey"/> for <paramref name="participantId"/> (overwrites).</summary>
    public void Register(string participantId, ECDsa publicKey)
    {
        ValidateId(participantId);
        ArgumentNullException.ThrowIfNull(publicKey);
        lock (_gate) File.WriteAllText(System.IO.Path.Combine(Path, participantId + PublicSuffix), publicKey.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>Every registered public key by participant id.</summary>
    /// <exception cref="InvalidDataException">A key file that is not a PEM public key; the message names the file.</exception>
    public IReadOnlyDictionary<string, ECDsa> LoadPublicKeys()
    {
        lock (_gate)
        {
            var keys = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(Path, "*" + PublicSuffix).Order(StringComparer.Ordinal))
            {
                var id = System.IO.Path.GetFileName(file)[..^PublicSuffix.Length];
                if (!IdPattern().IsMatch(id)) continue;
                var key = ECDsa.Create();
                try
                {
                    key.ImportFromPem(File.ReadAllText(file));
                }
                catch (ArgumentException ex)
                {
                    key.Dispose();
                    throw new InvalidDataException($"Key file {file} is not a PEM-encoded public key: {ex.Message}", ex);
                }

                keys[id] = key;
            }

            return keys;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex IdPattern();
}
