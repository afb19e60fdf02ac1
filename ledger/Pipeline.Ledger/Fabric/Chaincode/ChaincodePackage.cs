using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// Fabric's chaincode-as-a-service package, the file <c>peer lifecycle chaincode install</c> takes:
/// a gzipped tar holding <c>metadata.json</c> (<c>{"type":"ccaas","label":...}</c>) and <c>code.tar.gz</c>,
/// itself a gzipped tar holding <c>connection.json</c>.
/// </summary>
/// <remarks>
/// The bytes are deterministic (fixed entry times, owner and mode; gzip without a timestamp), so the
/// same connection and label always give the same package id: <c>label:hex(SHA-256(package file))</c>,
/// which is how Fabric's lifecycle names an installed package.
/// </remarks>
public static partial class ChaincodePackage
{
    /// <summary>Package type the ccaas external builder detects.</summary>
    public const string Type = "ccaas";

    /// <summary>Name of the metadata entry.</summary>
    public const string MetadataFile = "metadata.json";

    /// <summary>Name of the code archive entry.</summary>
    public const string CodeFile = "code.tar.gz";

    /// <summary>Name of the connection entry inside the code archive.</summary>
    public const string ConnectionFile = "connection.json";

    private static readonly DateTimeOffset EntryTime = DateTimeOffset.UnixEpoch;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Builds the package bytes.</summary>
    /// <exception cref="ArgumentException">The label is not a valid Fabric package label, or the connection has no address.</exception>
    public static byte[] Create(ChaincodeConnection connection, string label)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ValidateLabel(label);
        if (string.IsNullOrWhiteSpace(connection.Address) || !connection.Address.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"connection address '{connection.Address}' is not HOST:PORT");
        }

        var code = TarGz([(ConnectionFile, JsonSerializer.SerializeToUtf8Bytes(connection, Json))]);
        var metadata = JsonSerializer.SerializeToUtf8Bytes(new PackageMetadata(Type, label), Json);
        return TarGz([(MetadataFile, metadata), (CodeFile, code)]);
    }

    /// <summary>Fabric's package id of <paramref name="package"/>: <c>label:hex(SHA-256(bytes))</c>.</summary>
    public static string PackageId(string label, ReadOnlySpan<byte> package)
    {
        ValidateLabel(label);
        return label + ":" + Convert.ToHexStringLower(SHA256.HashData(package));
    }

    /// <summary>Throws unless <paramref name="label"/> matches Fabric's label rule <c>^[A-Za-z0-9][A-Za-z0-9_.+-]*$</c>.</summary>
    /// <exception cref="ArgumentException">The label is empty or has other characters.</exception>
    public static void ValidateLabel(string label)
    {
        if (string.IsNullOrEmpty(label) || !LabelPattern().IsMatch(label))
        {
            throw new ArgumentException($"package label '{label}' is invalid: Fabric labels start with a letter or digit and contain only letters, digits, '_', '.', '+', '-'");
        }
    }

    private static byte[] TarGz(IEnumerable<(string Name, byte[] Content)> entries)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    ModificationTime = EntryTime,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    Uid = 0,
                    Gid = 0,
                    DataStream = new MemoryStream(content, writable: false),
                };
                tar.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.+-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelPattern();

    private sealed record PackageMetadata(
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("label")] string Label);
}
