using System.Text;
using System.Text.Json;
using Pipeline.Chaincode;

namespace Pipeline.Ledger;

/// <summary>
/// Endpoints and approved applications to load into the whitelist ledger
/// (<c>pipeline whitelist import FILE</c>); producers export a scenario's catalogue in this format.
/// </summary>
/// <remarks>
/// Three accepted layouts, camelCase JSON:
/// an object <c>{"endpoints":[...],"apps":[...]}</c>; a JSON array of items; or JSON lines, one
/// item per line. An item with <c>sha256</c> is an app (<see cref="CatalogueApp"/>), an item with
/// <c>endpointId</c> an endpoint (<see cref="CatalogueEndpoint"/>).
/// </remarks>
public sealed record WhitelistCatalogue
{
    /// <summary>Endpoints to enroll.</summary>
    public IReadOnlyList<CatalogueEndpoint> Endpoints { get; init; } = [];

    /// <summary>Applications to whitelist.</summary>
    public IReadOnlyList<CatalogueApp> Apps { get; init; } = [];

    /// <summary>Reads a catalogue file in any of the three layouts.</summary>
    /// <exception cref="CatalogueFormatException">The file is malformed; the message names the line or item.</exception>
    public static async Task<WhitelistCatalogue> LoadAsync(string path, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        return Parse(text);
    }

    /// <summary>Parses a catalogue in any of the three layouts and validates every item.</summary>
    /// <exception cref="CatalogueFormatException">The text is malformed; the message names the line or item.</exception>
    public static WhitelistCatalogue Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.IsEmpty)
        {
            return new WhitelistCatalogue();
        }

        var endpoints = new List<CatalogueEndpoint>();
        var apps = new List<CatalogueApp>();
        JsonDocument? whole = null;
        try
        {
            whole = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            // Not one document: JSON lines.
        }

        using (whole)
        {
            if (whole is null)
            {
                var lines = text.Split('\n');
                for (var i = 0; i < lines.Length; i++)
                {
                    var line = lines[i].Trim();
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    try
                    {
                        using var doc = JsonDocument.Parse(line);
                        AddItem(doc.RootElement, $"line {i + 1}", endpoints, apps);
                    }
                    catch (JsonException ex)
                    {
                        throw new CatalogueFormatException($"line {i + 1}", $"not JSON ({ex.Message})", ex);
                    }
                }
            }
            else if (whole.RootElement.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var item in whole.RootElement.EnumerateArray())
                {
                    AddItem(item, $"item {index++}", endpoints, apps);
                }
            }
            else if (whole.RootElement.ValueKind == JsonValueKind.Object
                && (whole.RootElement.TryGetProperty("apps", out _) || whole.RootElement.TryGetProperty("endpoints", out _)))
            {
                AddSection(whole.RootElement, "endpoints", endpoints, apps);
                AddSection(whole.RootElement, "apps", endpoints, apps);
            }
            else
            {
                AddItem(whole.RootElement, "line 1", endpoints, apps);
            }
        }

        return new WhitelistCatalogue { Endpoints = endpoints, Apps = apps };
    }

    /// <summary>Writes the catalogue as JSON lines (endpoints first), the format producers export.</summary>
    public string ToJsonLines()
    {
        var builder = new StringBuilder();
        foreach (var endpoint in Endpoints)
        {
            builder.Append(JsonSerializer.Serialize(endpoint, ContractJson.Options)).Append('\n');
        }

        foreach (var app in Apps)
        {
            builder.Append(JsonSerializer.Serialize(app, ContractJson.Options)).Append('\n');
        }

        return builder.ToString();
    }

    private static void AddSection(JsonElement root, string name, List<CatalogueEndpoint> endpoints, List<CatalogueApp> apps)
    {
        if (!root.TryGetProperty(name, out var section))
        {
            return;
        }

        if (section.ValueKind != JsonValueKind.Array)
        {
            throw new CatalogueFormatException(name, "must be an array");
        }

        var index = 0;
        foreach (var item in section.EnumerateArray())
        {
            AddItem(item, $"{name}[{index++}]", endpoints, apps);
        }
    }

    private static void AddItem(JsonElement item, string where, List<CatalogueEndpoint> endpoints, List<CatalogueApp> apps)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new CatalogueFormatException(where, $"expected an object, found {item.ValueKind}");
        }

        try
        {
            if (item.TryGetProperty("sha256", out _))
            {
                var app = item.Deserialize<CatalogueApp>(ContractJson.Options)!;
                if (!WhitelistContract.IsWellFormedHash(app.Sha256))
                {
                    throw new CatalogueFormatException(where, $"sha256 '{app.Sha256}' is not 64 lower-case hex characters");
                }

                if (!OwnerRoles.IsValid(app.OwnerRole))
                {
                    throw new CatalogueFormatException(where, $"ownerRole must be 'admin' or 'user', got '{app.OwnerRole}'");
                }

                apps.Add(app);
            }
            else if (item.TryGetProperty("endpointId", out _))
            {
                endpoints.Add(item.Deserialize<CatalogueEndpoint>(ContractJson.Options)!);
            }
            else
            {
                throw new CatalogueFormatException(where, "neither an app (sha256) nor an endpoint (endpointId)");
            }
        }
        catch (JsonException ex)
        {
            throw new CatalogueFormatException(where, $"missing or malformed field ({ex.Message})", ex);
        }
    }
}
