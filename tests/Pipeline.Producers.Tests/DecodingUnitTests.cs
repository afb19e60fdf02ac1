using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Tests;

public sealed class DecodingUnitTests
{
    private static readonly HashSet<string> KnownLabels =
    [
        AttackLabels.Normal, .. AttackLabels.ChainAttacks, .. AttackLabels.IiotAttacks, .. AttackLabels.EndpointAttacks,
    ];

    [Fact]
    public void Stream_EveryMessage_DecodesToTheTopicContractWithTheTopicKey()
    {
        var messages = TestScenarios.Take(new ScenarioWorld(TestScenarios.Small(), 5), ProducerDomains.All, 60_000);
        var topics = new HashSet<string>();
        foreach (var m in messages)
        {
            var decoded = AvroSingleObject.Decode(m.Value);
            var (expectedKey, time) = decoded switch
            {
                BlockEvent b when m.Topic == Topics.ChainBlocks => (b.ClusterId, b.Timestamp),
                TransactionEvent t when m.Topic == Topics.ChainTransactions => (t.ClusterId, t.Timestamp),
                DeviceReading r when m.Topic == Topics.IiotTelemetry => (r.FactoryId, r.Timestamp),
                EndpointExecution e when m.Topic == Topics.EndpointExecutions => (e.EndpointId, e.Timestamp),
                _ => throw new Xunit.Sdk.XunitException($"{decoded.GetType().Name} on topic {m.Topic}"),
            };
            Assert.Equal(expectedKey, m.Key);
            Assert.Equal(time.ToUnixTimeMilliseconds(), m.TimestampMs);
            Assert.Contains(m.Label!, KnownLabels);
            topics.Add(m.Topic);
        }
        Assert.Equal(4, topics.Count);
    }

    [Fact]
    public void Stream_Payloads_NeverCarryTheLabel()
    {
        var messages = TestScenarios.Take(new ScenarioWorld(TestScenarios.Small(), 5), ProducerDomains.All, 20_000);
        foreach (var m in messages.Where(m => m.Label != AttackLabels.Normal))
        {
            var text = System.Text.Encoding.UTF8.GetString(m.Value);
            Assert.DoesNotContain(m.Label!, text, StringComparison.Ordinal);
        }
    }
}
