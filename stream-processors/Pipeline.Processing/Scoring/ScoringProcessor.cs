using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Platform.Kafka;
using Pipeline.Processing.Engine;

namespace Pipeline.Processing.Scoring;

/// <summary>One scoring instance for a stream (chain or iiot): follows fl.global-model, consumes the
/// stream's topics in consumer group batches, scores them and produces alerts
/// (<c>pipeline process scoring</c>; also hostable in-process as a <see cref="BackgroundService"/>).</summary>
/// <remarks>Instances with the same <see cref="ProcessingOptions.GroupId"/> split the partitions.
/// With <see cref="NoModelBehaviour.Wait"/> nothing is consumed until every topic of the stream has
/// a model; with PassThrough events without a model are committed unscored.
/// <see cref="RunAsync"/> returns when cancelled and throws <see cref="ProcessingFatalException"/>
/// on a fatal error.</remarks>
public sealed partial class ScoringProcessor : BackgroundService
{
    private readonly KafkaClientFactory _clients;
    private readonly string _stream;
    private readonly ScoringTopics _topics;
    private readonly ProcessingOptions _processing;
    private readonly ScoringOptions _scoring;
    private readonly ILogger _logger;
    private readonly GlobalModelFollower _follower;
    private readonly BatchConsumerLoop _loop;

    public ScoringProcessor(
        KafkaClientFactory clients,
        string stream,
        ProcessingOptions processing,
        ScoringOptions scoring,
        ILoggerFactory loggers,
        ScoringTopics? topics = null,
        string? instanceId = null)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(loggers);
        processing.Validate();
        scoring.Validate();
        _clients = clients;
        _stream = stream;
        _topics = topics ?? ScoringTopics.For(stream, clients);
        _processing = processing;
        _scoring = scoring;
        _logger = loggers.CreateLogger<ScoringProcessor>();
        Metrics = new ProcessingMetrics($"scoring-{stream}");
        Models = new ModelRegistry();
        var keys = _topics.Inputs.Values.Distinct().ToList();
        _follower = new GlobalModelFollower(clients, _topics.Models, keys, Models, Metrics, loggers.CreateLogger<GlobalModelFollower>());
        var settings = BatchLoopSettings.For(processing, [.. _topics.Inputs.Keys], $"pipeline-scoring-{stream}", $"scoring-{stream}",
            clients.Options.MaxMessageBytes, instanceId);
        var logic = new ScoringBatchProcessor(stream, _topics.Inputs, _topics.Alerts, Models, scoring, Metrics);
        _loop = new BatchConsumerLoop(clients, logic, settings, Metrics, loggers.CreateLogger<BatchConsumerLoop>());
    }

    /// <summary>Counters and gauges of this instance.</summary>
    public ProcessingMetrics Metrics { get; }

    /// <summary>The models in use.</summary>
    public ModelRegistry Models { get; }

    /// <summary>True while the instance holds input partitions.</summary>
    public bool HasAssignment => _loop.HasAssignment;

    /// <summary>Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var follower = _follower.RunAsync(stop.Token);
        try
        {
            if (_scoring.NoModel == NoModelBehaviour.Wait)
            {
                var keys = _topics.Inputs.Values.Distinct().ToList();
                LogWaiting(_logger, _stream, string.Join(",", keys), _topics.Models);
                await Models.WaitForAsync(keys, cancellationToken).ConfigureAwait(false);
            }
            await _loop.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await follower.ConfigureAwait(false);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => RunAsync(stoppingToken);

    public override void Dispose()
    {
        Metrics.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "scoring {Stream}: waiting for a model for {Keys} on {Topic} (Processing:Scoring:NoModel=Wait)")]
    private static partial void LogWaiting(ILogger logger, string stream, string keys, string topic);
}
