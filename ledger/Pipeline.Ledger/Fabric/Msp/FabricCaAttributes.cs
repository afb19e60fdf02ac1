using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Pipeline.Ledger.Fabric.Msp;

/// <summary>
/// Certificate attributes as Fabric CA writes them: an X.509 extension with OID
/// <c>1.2.3.4.5.6.7.8.1</c> whose value is the JSON <c>{"attrs":{"name":"value",...}}</c>.
/// Chaincode reads them with <c>GetAttributeValue</c>; our contract reads <c>role</c>.
/// </summary>
public static class FabricCaAttributes
{
    /// <summary>OID of Fabric CA's attribute extension.</summary>
    public const string Oid = "1.2.3.4.5.6.7.8.1";

    /// <summary>The extension carrying <paramref name="attributes"/>.</summary>
    public static X509Extension Create(IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["attrs"] = attributes });
        return new X509Extension(Oid, json, critical: false);
    }

    /// <summary>Attributes of <paramref name="certificate"/> (empty when it has no such extension).</summary>
    /// <exception cref="MspException">The extension is not the expected JSON.</exception>
    public static IReadOnlyDictionary<string, string> Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var extension = certificate.Extensions[Oid];
        if (extension is null)
        {
            return result;
        }

        try
        {
            using var document = JsonDocument.Parse(extension.RawData);
            if (document.RootElement.TryGetProperty("attrs", out var attrs) && attrs.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in attrs.EnumerateObject())
                {
                    result[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
                }
            }
        }
        catch (JsonException ex)
        {
            throw new MspException($"certificate {certificate.Subject} has a malformed Fabric CA attribute extension: {ex.Message}", ex);
        }

        return result;
    }
}
