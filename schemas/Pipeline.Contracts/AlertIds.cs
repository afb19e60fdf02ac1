using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Contracts;

/// <summary>Deterministic alert ids: the same source record scored by the same model version
/// always yields the same id, so a consumer of the alerts topic can drop replays.</summary>
public static class AlertIds
{
    /// <summary>First 16 bytes of SHA-256 over "topic/partition/offset/modelVersion/alertType", as hex.</summary>
    public static string Create(string topic, int partition, long offset, long modelVersion, string alertType)
    {
        var input = Encoding.UTF8.GetBytes($"{topic}/{partition}/{offset}/{modelVersion}/{alertType}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
