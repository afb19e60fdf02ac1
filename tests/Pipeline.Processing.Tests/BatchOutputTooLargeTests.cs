using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Processing.Engine;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary>An output no retry can deliver (over the producer's message.max.bytes) stops the loop with an error that
/// says so, instead of producing it again forever, and nothing from its batch on is committed.</summary>
public sealed class BatchOutputTooLargeTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private const int Records = 60;
    private const int BigAt = 25;

    [Theory]
    [InlineData(ProcessingGuarantee.AtLeastOnce)]
    [InlineData(ProcessingGuarantee.ExactlyOnceV2)]
    public async Task RunAsync_OutputOverMessageMaxBytes_StopsWithAnErrorNamingItAndCommitsNothingFromItsBatch(ProcessingGuarantee guarantee)
    {
        var topics = new KafkaTestTopics(kafka);
        var input = topics.PublishRaw([.. Enumerable.Range(0, Records).Select(i => (Topics.ChainBlocks, (string?)$"k{i}", Encoding.UTF8.GetBytes(i == BigAt ? "big" : $"v{i}"), 0))]);
        var group = $"g-{Guid.NewGuid():N}";
        var settings = new BatchLoopSettings(
            [topics.Topic(Topics.ChainBlocks)], group, $"big-{Guid.NewGuid():N}", BatchSize: 10, BatchTimeout: TimeSpan.FromMilliseconds(50),
            guarantee, MaxMessageBytes: 1_000_000, RetryBackoff: TimeSpan.FromMilliseconds(50), SummaryInterval: TimeSpan.Zero,
            BatchLinger: TimeSpan.Zero, MaxBatchesInFlight: 8);
        using var metrics = new ProcessingMetrics("big-test");
        var loop = new BatchConsumerLoop(topics.Clients, new EchoProcessor(topics.Topic(Topics.Alerts)), settings, metrics, NullLogger.Instance);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var error = await Assert.ThrowsAsync<ProcessingFatalException>(() => loop.RunAsync(stop.Token));

        Assert.False(stop.IsCancellationRequested, "the loop should stop on its own, not run until the test's deadline");
        Assert.Contains("an output of 1500000 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains(topics.Topic(Topics.Alerts), error.Message, StringComparison.Ordinal);
        Assert.Contains("Kafka:Producer:MessageMaxBytes", error.Message, StringComparison.Ordinal);
        using var probe = topics.Clients.CreateConsumer(group, "big-probe");
        var committed = probe.Committed([new TopicPartition(topics.Topic(Topics.ChainBlocks), 0)], TimeSpan.FromSeconds(10))[0].Offset;
        Assert.True(committed == Offset.Unset || committed.Value <= input[BigAt].Offset.Value, $"committed {committed}, the big output's record is at {input[BigAt].Offset}");
    }

    /// <summary>One output per record, its value; the record "big" gets an output of 1.5 MB.</summary>
    private sealed class EchoProcessor(string outputTopic) : IBatchProcessor
    {
        public Task ProcessAsync(IReadOnlyList<InputRecord> batch, BatchResult result, CancellationToken cancellationToken)
        {
            foreach (var record in batch)
            {
                result.AddOutput(outputTopic, record.Key, record.Value.AsSpan().SequenceEqual("big"u8) ? new byte[1_500_000] : record.Value);
            }
            return Task.CompletedTask;
        }

        public void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions)
        {
        }
    }
}
