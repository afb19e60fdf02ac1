using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Platform.Kafka;
using Pipeline.Producers.Simulation;
using Pipeline.Testing;

namespace Pipeline.Federation.Tests;

/// <summary>
/// One federation on the embedded broker under its own topic prefix: the clusters' training readings are produced to
/// <c>iiot.telemetry</c>, and a <see cref="FederationHost"/> runs the real coordinator and one real participant per
/// cluster (each reads its own cluster's readings from the topic into its window). Optionally participant
/// <c>fl-c05</c> is Byzantine (its signed updates are rewritten by <see cref="UpdatePoisoner"/> before they are sent).
/// With <c>attacks</c> each reading carries the simulators' <c>label</c> header (as the producers send it).
/// </summary>
internal static class BrokerFederation
{
    /// <summary>Runs until <paramref name="enough"/> says so for the published models so far, or the coordinator's MaxRounds end.</summary>
    /// <returns>The published global models in version order.</returns>
    public static async Task<IReadOnlyList<ModelBundle>> RunAsync(KafkaFixture kafka, FederationOptions options, IReadOnlyDictionary<string, List<DeviceReading>> train,
        Attack attack, Func<IReadOnlyList<ModelBundle>, bool> enough, TimeSpan timeout,
        IReadOnlyDictionary<string, bool[]>? attacks = null, Action<GlobalModel>? published = null)
    {
        var prefix = $"conv-{Guid.NewGuid():N}.";
        foreach (var topic in new[] { Topics.FlRounds, Topics.FlModelUpdates, Topics.FlGlobalModel, Topics.IiotTelemetry }) kafka.Broker.CreateTopic(prefix + topic, 1);
        var clients = new KafkaClientFactory(kafka.BootstrapServers, new KafkaOptions { BootstrapServers = kafka.BootstrapServers, TopicPrefix = prefix });
        options.KeyDirectory = Path.Combine(Path.GetTempPath(), prefix + "keys");

        // Consumer group ids carry the model name but not the topic prefix: federations side by side on one broker need
        // their own model names, or their coordinators share a group and re-read each other's rebalanced partitions.
        options.ModelName = $"{options.ModelName}-{prefix[5..13]}";
        options.Clusters = string.Join(",", train.Keys.Order(StringComparer.Ordinal));
        using (var producer = clients.CreateProducer("convergence-data"))
        {
            foreach (var (cluster, readings) in train)
            {
                for (var i = 0; i < readings.Count; i++)
                {
                    var message = new Message<string?, byte[]> { Key = readings[i].FactoryId, Value = AvroSingleObject.Encode(readings[i]) };
                    if (attacks is not null)
                    {
                        var label = attacks[cluster][i] ? AttackLabels.SensorSpoofing : AttackLabels.Normal;
                        message.Headers = new Headers { { AttackLabels.HeaderName, Encoding.UTF8.GetBytes(label) } };
                    }

                    producer.Produce(clients.Topic(Topics.IiotTelemetry), message);
                }
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var queue = new ConcurrentQueue<GlobalModel>();
        var models = new List<ModelBundle>();
        var completed = 0;
        await using var host = FederationHost.Create(clients, options, NullLoggerFactory.Instance);
        host.Coordinator.RoundCompleted += r =>
        {
            if (r.Model is { } model) queue.Enqueue(model);
            Interlocked.Increment(ref completed);
        };
        if (attack != Attack.None)
        {
            var attacker = host.Participants.Single(p => p.ParticipantId == "fl-c05");
            attacker.UpdateInterceptor = (update, baseBundle, key) => UpdatePoisoner.Apply(update, baseBundle, key, attack);
        }

        await host.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var arrived = false;
            while (queue.TryDequeue(out var model))
            {
                published?.Invoke(model);
                models.Add(ModelBundle.Deserialize(model.Model));
                arrived = true;
            }

            if (arrived && enough(models)) break;
            if (Volatile.Read(ref completed) >= options.MaxRounds && queue.IsEmpty) break;
            await Task.Delay(50);
        }

        await host.StopAsync(CancellationToken.None);
        var history = host.Coordinator.History;
        if (models.Count == 0 || history.Any(r => r.Status != RoundStatus.Published || r.Rejected.Count > 0))
        {
            throw new InvalidOperationException($"The federation under {prefix} did not run clean rounds in {timeout.TotalSeconds:F0} s: "
                + string.Join("; ", history.Select(r => $"round {r.Round} {r.Status} {r.Reason} accepted [{string.Join(",", r.Accepted)}] rejected [{string.Join(",", r.Rejected.Select(x => $"{x.ParticipantId}:{x.Reason}"))}]")));
        }

        return models;
    }
}
