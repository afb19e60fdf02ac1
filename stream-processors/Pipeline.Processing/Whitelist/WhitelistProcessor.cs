using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Platform.Kafka;
using Pipeline.Processing.Engine;

namespace Pipeline.Processing.Whitelist;

/// <summary>One whitelist instance: consumes endpoint.executions in consumer-group batches, checks
/// each launch against the ledger through <see cref="IWhitelistLookup"/>, and produces verdicts and
/// alerts (<c>pipeline process whitelist</c>; also hostable in-process as a <see cref="BackgroundService"/>).</summary>
/// <remarks><see cref="RunAsync"/> returns when cancelled and throws <see cref="ProcessingFatalException"/> on a fatal error.</remarks>
public sealed class WhitelistProcessor : BackgroundService
{
    private readonly BatchConsumerLoop _loop;

    public WhitelistProcessor(
        KafkaClientFactory clients,
        IWhitelistLookup lookup,
        ProcessingOptions processing,
        WhitelistOptions whitelist,
        ILoggerFactory loggers,
        WhitelistTopics? topics = null,
        string? instanceId = null)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(loggers);
        processing.Validate();
        whitelist.Validate();
        topics ??= WhitelistTopics.For(clients);
        Metrics = new ProcessingMetrics("whitelist");
        var settings = BatchLoopSettings.For(processing, [topics.Executions], "pipeline-whitelist", "whitelist", clients.Options.MaxMessageBytes, instanceId);
        var logic = new WhitelistBatchProcessor(lookup, topics.Verdicts, topics.Alerts, whitelist, Metrics);
        _loop = new BatchConsumerLoop(clients, logic, settings, Metrics, loggers.CreateLogger<BatchConsumerLoop>());
    }

    /// <summary>Counters and gauges of this instance.</summary>
    public ProcessingMetrics Metrics { get; }

    /// <summary>True while the instance holds input partitions.</summary>
    public bool HasAssignment => _loop.HasAssignment;

    /// <summary>Runs until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => _loop.RunAsync(cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => RunAsync(stoppingToken);

    public override void Dispose()
    {
        Metrics.Dispose();
        base.Dispose();
    }
}
