using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;

namespace Pipeline.Platform.Kafka;

/// <summary>The Kafka a process runs against: the configured cluster, or an embedded broker it
/// starts and owns. Either way the catalogue topics exist once <see cref="StartAsync"/> returns.</summary>
public sealed partial class KafkaEnvironment : IDisposable
{
    private KafkaEnvironment(KafkaClientFactory clients, EmbeddedKafkaBroker? embedded)
    {
        Clients = clients;
        Embedded = embedded;
    }

    public KafkaClientFactory Clients { get; }

    /// <summary>The broker this process started, or null when running against a real cluster.</summary>
    public EmbeddedKafkaBroker? Embedded { get; }

    public string BootstrapServers => Clients.BootstrapServers;

    public static async Task<KafkaEnvironment> StartAsync(KafkaOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (options.UsesEmbeddedBroker)
        {
            var broker = EmbeddedKafkaBroker.Start(options.EmbeddedBrokers, Topics.All, options.TopicPrefix);
            LogEmbedded(logger, broker.BootstrapServers, broker.BrokerCount);
            return new KafkaEnvironment(new KafkaClientFactory(broker.BootstrapServers, options), broker);
        }
        var clients = new KafkaClientFactory(options.BootstrapServers!, options);
        await EnsureTopicsAsync(clients, logger, cancellationToken).ConfigureAwait(false);
        return new KafkaEnvironment(clients, null);
    }

    /// <summary>Creates the catalogue topics on a real cluster; existing topics are left as they are.</summary>
    public static async Task EnsureTopicsAsync(KafkaClientFactory clients, ILogger logger, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = clients.BootstrapServers }).Build();
        var specs = Topics.All.Select(t => new TopicSpecification
        {
            Name = clients.Topic(t.Name),
            NumPartitions = t.Partitions,
            ReplicationFactor = -1,
            Configs = new() { ["cleanup.policy"] = t.CleanupPolicy },
        }).ToList();
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await admin.CreateTopicsAsync(specs).ConfigureAwait(false);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Existing topics are kept: their partition counts may have been raised on purpose.
        }
        catch (KafkaException e)
        {
            // An embedded broker of another process (`pipeline broker`) refuses the admin API; it
            // created the catalogue topics itself when it started.
            LogTopicsNotCreated(logger, clients.BootstrapServers, e.Error.Reason);
            return;
        }
        LogTopicsEnsured(logger, specs.Count, clients.BootstrapServers);
    }

    public void Dispose() => Embedded?.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create the catalogue topics on {Bootstrap} ({Reason}); assuming they exist")]
    private static partial void LogTopicsNotCreated(ILogger logger, string bootstrap, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded Kafka broker ({Brokers} broker(s)) at {Bootstrap}")]
    private static partial void LogEmbedded(ILogger logger, string bootstrap, int brokers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ensured {Count} catalogue topics on {Bootstrap}")]
    private static partial void LogTopicsEnsured(ILogger logger, int count, string bootstrap);
}
