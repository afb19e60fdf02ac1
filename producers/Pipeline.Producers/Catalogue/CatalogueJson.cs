using System.Text.Json;

namespace Pipeline.Producers.Catalogue;

/// <summary>Writes and reads the whitelist catalogue file (camelCase JSON, indented).</summary>
public static class CatalogueJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static byte[] Serialize(WhitelistCatalogue catalogue) => JsonSerializer.SerializeToUtf8Bytes(catalogue, Options);

    public static WhitelistCatalogue Deserialize(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize<WhitelistCatalogue>(utf8, Options)
        ?? throw new JsonException("empty whitelist catalogue document");

    public static async Task WriteAsync(WhitelistCatalogue catalogue, string path, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        await File.WriteAllBytesAsync(path, Serialize(catalogue), cancellationToken).ConfigureAwait(false);
    }
}
