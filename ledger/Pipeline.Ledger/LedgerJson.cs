using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Ledger;

/// <summary>Strict, deterministic JSON for blocks and history records (unknown members are refused).</summary>
internal static class LedgerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };
}
