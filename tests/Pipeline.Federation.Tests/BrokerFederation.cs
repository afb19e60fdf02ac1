using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Detection;
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
        await using var topics = FederationTopics.Create(kafka, "conv");
        topics.Isolate(options);
        options.Clusters = string.Join(",", train.Keys.Order(StringComparer.Ordinal));
        topics.Produce(train, attacks);

        var queue = new ConcurrentQueue<GlobalModel>();
        var models = new List<ModelBundle>();
        var completed = 0;
        await using var host = FederationHost.Create(topics.Clients, options, NullLoggerFactory.Instance);
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
            throw new InvalidOperationException($"The federation under {topics.Prefix} did not run clean rounds in {timeout.TotalSeconds:F0} s: "
                + string.Join("; ", history.Select(r => $"round {r.Round} {r.Status} {r.Reason} accepted [{string.Join(",", r.Accepted)}] rejected [{string.Join(",", r.Rejected.Select(x => $"{x.ParticipantId}:{x.Reason}"))}]")));
        }

        return models;
    }
}
