using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Chaincode;

/// <summary>
/// JSON settings for everything the contract stores and returns: camelCase, compact, properties in
/// declaration order, so the same value always gives the same bytes on every peer.
/// </summary>
public static class ContractJson
{
    /// <summary>Shared, deterministic serializer options.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,

        // No HTML escaping: payloads are data, and '+' in offsets should stay readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serializes to UTF-8 bytes.</summary>
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Deserializes UTF-8 bytes; a malformed or empty document raises <see cref="ContractException"/>.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> utf8, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(utf8, Options)
                ?? throw new ContractException(ContractErrorCode.CorruptState, $"{what}: empty JSON document");
        }
        catch (JsonException ex)
        {
            throw new ContractException(ContractErrorCode.CorruptState, $"{what}: malformed JSON ({ex.Message})", ex);
        }
    }
}
