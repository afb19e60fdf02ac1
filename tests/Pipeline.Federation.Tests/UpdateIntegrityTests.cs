using System.Security.Cryptography;
using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Testing;

namespace Pipeline.Federation.Tests;

public sealed class UpdateIntegrityTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task Coordinator_TamperedStaleAndReplayedUpdates_RejectsEachWithItsReason()
    {
        await using var topics = FederationTopics.Create(kafka, "it");
        var key = topics.Register("c01");
        var options = new FederationOptions
        {
            ModelName = "integrity",
            Detector = "pca",
            MaxRounds = 1,
            RoundTimeoutSeconds = 6,
            RoundIntervalSeconds = 0,
            MinParticipants = 1,
            Participants = "fl-c01",
            KeyDirectory = topics.Keys.Path,
        };

        var stale = Update(key, round: 0);
        var tampered = Update(key, round: 1) is var t ? t with { SampleCount = t.SampleCount + 1 } : null;
        using (var producer = topics.Clients.CreateProducer("test"))
        {
            foreach (var update in new[] { tampered!, stale, stale })
            {
                await producer.ProduceAsync(topics.Clients.Topic(Topics.FlModelUpdates), new Message<string?, byte[]> { Key = "integrity", Value = AvroSingleObject.Encode(update) });
            }
        }

        var coordinator = await topics.StartCoordinatorAsync(options);
        await Eventually.UntilAsync(() => coordinator.History.Count > 0, TimeSpan.FromSeconds(60), () => "the round to close");
        await topics.StopAsync(coordinator);

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
