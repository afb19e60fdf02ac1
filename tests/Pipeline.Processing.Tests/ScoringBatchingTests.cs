using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary>When a batch closes: full, timed out, or (with linger 0) as soon as nothing more is buffered.</summary>
public sealed class ScoringBatchingTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    // Far beyond each test's deadline: a batch that waited for it would fail the test.
    private const int MinuteLongTimeoutMs = 60_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_LingerZeroAndALongBatchTimeout_ScoresAPartialBatchOnceNothingMoreIsBuffered()
    {
        var processed = await ScoreAsync(count: 20, new ProcessingOptions { BatchSize = 500, BatchTimeoutMs = MinuteLongTimeoutMs, BatchLingerMs = 0 });

        Assert.Equal(20, processed);
    }

    [Fact]
    public async Task RunAsync_LongLingerAndTimeout_ScoresABatchAsSoonAsItIsFull()
    {
        var processed = await ScoreAsync(count: 40, new ProcessingOptions { BatchSize = 20, BatchTimeoutMs = MinuteLongTimeoutMs, BatchLingerMs = MinuteLongTimeoutMs });

        Assert.Equal(40, processed);
    }

    private async Task<long> ScoreAsync(int count, ProcessingOptions processing)
    {
        var topics = new KafkaTestTopics(kafka);
        await topics.PublishModelsAsync(ChainData.Models(version: 1, threshold: -1));
        var positions = topics.Publish(ChainData.Take(clusters: 2, seed: 43, count: count));
        processing.GroupId = $"batching-test-{Guid.NewGuid():N}";
        processing.SummaryIntervalSeconds = 0;
        using var processor = new ScoringProcessor(topics.Clients, "chain", processing, new ScoringOptions(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);

        await Polling.UntilAsync(() => processor.Metrics.Events >= positions.Count || run.IsCompleted, Deadline,
            () => $"{processor.Metrics.Events} of {positions.Count} scored while a batch could stay open {processing.BatchTimeoutMs} ms");
        await stop.CancelAsync();
        await run;
        return processor.Metrics.Events;
    }
}
