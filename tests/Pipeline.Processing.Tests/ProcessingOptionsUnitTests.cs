using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Platform;
using Pipeline.Platform.Kafka;
using Pipeline.Processing.Engine;

namespace Pipeline.Processing.Tests;

public sealed class ProcessingOptionsUnitTests
{
    [Fact]
    public void MaxBatchesInFlight_SetOnTheCommandLine_IsBoundAndValid()
    {
        var options = PipelineConfiguration.Build(["Processing:MaxBatchesInFlight=8"]).Bind<ProcessingOptions>(ProcessingOptions.SectionName);

        options.Validate();
        Assert.Equal(8, options.MaxBatchesInFlight);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4097)]
    public void Validate_MaxBatchesInFlightOutOfRange_NamesTheKeyAndTheValue(int value)
    {
        var error = Assert.Throws<ArgumentException>(() => new ProcessingOptions { MaxBatchesInFlight = value }.Validate());

        Assert.Contains("Processing:MaxBatchesInFlight", error.Message, StringComparison.Ordinal);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }
}

public sealed class AssignmentStrategyUnitTests
{
    private static BatchConsumerLoop Loop(params string[] settings)
    {
        var kafka = PipelineConfiguration.Build(["Kafka:BootstrapServers=127.0.0.1:9", .. settings]).Bind<KafkaOptions>(KafkaOptions.SectionName);
        var loopSettings = new BatchLoopSettings(
            ["in"], "group", "client", BatchSize: 16, BatchTimeout: TimeSpan.FromMilliseconds(50), ProcessingGuarantee.AtLeastOnce,
            MaxMessageBytes: 1_000_000, RetryBackoff: TimeSpan.FromMilliseconds(50), SummaryInterval: TimeSpan.Zero,
            BatchLinger: TimeSpan.Zero, MaxBatchesInFlight: 8);
        using var metrics = new ProcessingMetrics("strategy-test");
        return new BatchConsumerLoop(new KafkaClientFactory(kafka.BootstrapServers!, kafka), new NothingProcessor(), loopSettings, metrics, NullLogger.Instance);
    }

    [Fact]
    public void Constructor_CooperativeStickyConfigured_RefusesNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => Loop("Kafka:Consumer:PartitionAssignmentStrategy=CooperativeSticky"));

        Assert.Contains("Kafka:Consumer:PartitionAssignmentStrategy", error.Message, StringComparison.Ordinal);
        Assert.Contains("cooperative-sticky", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Range")]
    [InlineData("RoundRobin")]
    public void Constructor_EagerOrDefaultStrategy_IsAccepted(string? strategy)
    {
        var loop = strategy is null ? Loop() : Loop($"Kafka:Consumer:PartitionAssignmentStrategy={strategy}");

        Assert.False(loop.HasAssignment);
    }

    private sealed class NothingProcessor : IBatchProcessor
    {
        public Task ProcessAsync(IReadOnlyList<InputRecord> batch, BatchResult result, CancellationToken cancellationToken) => Task.CompletedTask;

        public void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions)
        {
        }
    }
}
