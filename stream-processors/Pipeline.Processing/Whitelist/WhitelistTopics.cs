using Pipeline.Contracts;
using Pipeline.Platform.Kafka;

namespace Pipeline.Processing.Whitelist;

/// <summary>The full topic names the whitelist processor uses.</summary>
/// <param name="Executions">Input: endpoint.executions.</param>
/// <param name="Verdicts">Output: endpoint.verdicts.</param>
/// <param name="Alerts">Output: alerts.</param>
public sealed record WhitelistTopics(string Executions, string Verdicts, string Alerts)
{
    /// <summary>The catalogue topics under the configured prefix.</summary>
    public static WhitelistTopics For(KafkaClientFactory clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        return new WhitelistTopics(clients.Topic(Topics.EndpointExecutions), clients.Topic(Topics.EndpointVerdicts), clients.Topic(Topics.Alerts));
    }
}
