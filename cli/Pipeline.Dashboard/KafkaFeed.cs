using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;

namespace Pipeline.Dashboard;

/// <summary>Consumes one topic from the beginning in a private consumer group (so the dashboard never
/// takes partitions from a processor) and hands each decoded record to the state.</summary>
internal sealed class KafkaFeed<T>(KafkaClientFactory clients, string topic, Action<T> onRecord, ILogger logger) : BackgroundService
    where T : IAvroRecord<T>
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        var group = $"pipeline-dashboard-{typeof(T).Name.ToLowerInvariant()}-{Guid.NewGuid():N}";
        using var consumer = clients.CreateConsumer(group, "pipeline-dashboard");
        try
        {
            consumer.Subscribe(clients.Topic(topic));
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<string?, byte[]>? result;
                try
                {
                    result = consumer.Consume(stoppingToken);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    // Topic not created yet or a transient broker error: the consumer retries by itself.
                    continue;
                }
                if (result?.Message?.Value is null)
                {
                    continue;
                }
                try
                {
                    onRecord(AvroSingleObject.Decode<T>(result.Message.Value));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    DashboardLog.Undecodable(logger, result.Topic, result.Partition.Value, result.Offset.Value, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            consumer.Close();
        }
    }
}
