using Pipeline.Contracts;

namespace Pipeline.Producers.Replay;

/// <summary>The mappable fields of each input contract: their kind and whether a default exists.</summary>
internal static class ContractFields
{
    public enum Kind
    {
        Text,
        Long,
        NullableLong,
        Int,
        Double,
    }

    /// <summary>Field → (kind, required). Timestamp and measurements are configured apart.</summary>
    public static IReadOnlyDictionary<string, (Kind Kind, bool Required)> For(string topic) => topic switch
    {
        Topics.IiotTelemetry => new Dictionary<string, (Kind, bool)>(StringComparer.Ordinal)
        {
            ["clusterId"] = (Kind.Text, false),
            ["factoryId"] = (Kind.Text, true),
            ["deviceId"] = (Kind.Text, true),
            ["deviceType"] = (Kind.Text, false),
            ["sequence"] = (Kind.Long, false),
        },
        Topics.ChainTransactions => new Dictionary<string, (Kind, bool)>(StringComparer.Ordinal)
        {
            ["clusterId"] = (Kind.Text, true),
            ["transactionId"] = (Kind.Text, true),
            ["blockHeight"] = (Kind.NullableLong, false),
            ["fromAccount"] = (Kind.Text, true),
            ["toAccount"] = (Kind.Text, true),
            ["amount"] = (Kind.Double, true),
            ["fee"] = (Kind.Double, false),
            ["sizeBytes"] = (Kind.Int, false),
            ["inputCount"] = (Kind.Int, false),
            ["outputCount"] = (Kind.Int, false),
            ["accountNonce"] = (Kind.Long, false),
            ["payloadBytes"] = (Kind.Int, false),
        },
        Topics.ChainBlocks => new Dictionary<string, (Kind, bool)>(StringComparer.Ordinal)
        {
            ["clusterId"] = (Kind.Text, true),
            ["height"] = (Kind.Long, true),
            ["blockHash"] = (Kind.Text, true),
            ["previousHash"] = (Kind.Text, false),
            ["minerId"] = (Kind.Text, true),
            ["transactionCount"] = (Kind.Int, false),
            ["sizeBytes"] = (Kind.Int, false),
            ["difficulty"] = (Kind.Double, false),
            ["nonce"] = (Kind.Long, false),
            ["totalValue"] = (Kind.Double, false),
            ["totalFees"] = (Kind.Double, false),
            ["reward"] = (Kind.Double, false),
        },
        Topics.EndpointExecutions => new Dictionary<string, (Kind, bool)>(StringComparer.Ordinal)
        {
            ["endpointId"] = (Kind.Text, true),
            ["organisation"] = (Kind.Text, false),
            ["userId"] = (Kind.Text, false),
            ["userRole"] = (Kind.Text, false),
            ["appName"] = (Kind.Text, true),
            ["appVersion"] = (Kind.Text, false),
            ["platform"] = (Kind.Text, false),
            ["sha256"] = (Kind.Text, true),
            ["launchId"] = (Kind.Text, false),
            ["executablePath"] = (Kind.Text, false),
        },
        _ => throw new ArgumentException($"'{topic}' is not an input topic", nameof(topic)),
    };

    public static IReadOnlyList<string> InputTopics { get; } =
        [Topics.ChainBlocks, Topics.ChainTransactions, Topics.IiotTelemetry, Topics.EndpointExecutions];
}
