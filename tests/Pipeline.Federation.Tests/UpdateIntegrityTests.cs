using System.Security.Cryptography;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;
using Pipeline.Testing;

namespace Pipeline.Federation.Tests;

public sealed class UpdateIntegrityTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task Coordinator_TamperedStaleAndReplayedUpdates_RejectsEachWithItsReason()
    {
        var prefix = $"it-{Guid.NewGuid():N}.";
        foreach (var topic in new[] { Topics.FlRounds, Topics.FlModelUpdates, Topics.FlGlobalModel }) kafka.Broker.CreateTopic(prefix + topic, 1);
        var clients = new KafkaClientFactory(kafka.BootstrapServers, new KafkaOptions { BootstrapServers = kafka.BootstrapServers, TopicPrefix = prefix });
        var keyDir = new ParticipantKeyDirectory(Path.Combine(Path.GetTempPath(), prefix + "keys"));
        using var key = keyDir.LoadOrCreatePrivateKey("fl-c01");
        var options = new FederationOptions
        {
            ModelName = "integrity",
            Detector = "pca",
            MaxRounds = 1,
            RoundTimeoutSeconds = 6,
            RoundIntervalSeconds = 0,
            MinParticipants = 1,
            Participants = "fl-c01",
            KeyDirectory = keyDir.Path,
        };

        var stale = Update(key, round: 0);
        var tampered = Update(key, round: 1) is var t ? t with { SampleCount = t.SampleCount + 1 } : null;
        using (var producer = clients.CreateProducer("test"))
        {
            foreach (var update in new[] { tampered!, stale, stale })
            {
                await producer.ProduceAsync(clients.Topic(Topics.FlModelUpdates), new Message<string?, byte[]> { Key = "integrity", Value = AvroSingleObject.Encode(update) });
            }
        }

        using var coordinator = new FederationCoordinator(clients, options, keyDir, NullLogger<FederationCoordinator>.Instance);
        await coordinator.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (coordinator.History.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        await coordinator.StopAsync(CancellationToken.None);

        var result = Assert.Single(coordinator.History);
        Assert.Equal(RoundStatus.Skipped, result.Status);
        Assert.Equal([RejectionReason.BadSignature, RejectionReason.StaleRound, RejectionReason.Replayed], result.Rejected.Select(r => r.Reason));
        Assert.Equal(1, result.Late);
    }

    private static ModelUpdate Update(ECDsa key, long round) => UpdateSigner.Sign(new ModelUpdate
    {
        ModelName = "integrity",
        Round = round,
        BaseVersion = 0,
        ParticipantId = "fl-c01",
        ClusterId = "c01",
        DetectorKind = "pca",
        SampleCount = 100,
        Parameters = [1, 2, 3],
        Compression = "none",
        Nonce = Guid.NewGuid().ToString("N"),
        CreatedAt = DateTimeOffset.UnixEpoch,
    }, key);
}
