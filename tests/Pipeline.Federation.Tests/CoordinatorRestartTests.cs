using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Testing;

namespace Pipeline.Federation.Tests;

/// <summary>
/// A coordinator stopped after it has published versions and a new instance started on the same topics (participants
/// keep running): the new one resumes from the latest GlobalModel and the highest announced round on the topics.
/// </summary>
public sealed class CoordinatorRestartTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task Coordinator_RestartedOnTheSameTopics_ContinuesVersionsAndRoundsWithoutPublishingAVersionTwice()
    {
        // The restarted coordinator joins the consumer group its predecessor just left. The embedded (mock) broker then
        // holds the join for the session timeout less a second before it assigns — a real broker, with the group empty,
        // assigns at once — so the session timeout is short here, or the restart alone would cost 9 s.
        await using var topics = SmallFederation.Create(kafka, "restart", new ConsumerConfig { SessionTimeoutMs = 3000 });
        var options = topics.Isolate(SmallFederation.Options("restart"));
        foreach (var cluster in new[] { "c01", "c02" }) await SmallFederation.WindowFullAsync(await topics.StartParticipantAsync(options, cluster));

        // Stopped right after its second round: by then it has usually announced (and may have half finished) the next
        // one, whose updates the new instance then finds on fl.model-updates.
        var first = await topics.StartCoordinatorAsync(options);
        await Eventually.UntilAsync(() => first.History.Count >= 2, TimeSpan.FromSeconds(60), () => $"two rounds of the first coordinator ({first.History.Count} closed)");
        await topics.StopAsync(first);
        var modelsBefore = topics.Read<GlobalModel>(Topics.FlGlobalModel);
        var roundsBefore = topics.Read<RoundAnnouncement>(Topics.FlRounds);

        var second = await topics.StartCoordinatorAsync(options);
        await Eventually.UntilAsync(() => second.History.Count >= 1, TimeSpan.FromSeconds(60), () => "a round of the restarted coordinator");
        await topics.StopAsync(second);
        var models = topics.Read<GlobalModel>(Topics.FlGlobalModel);
        var rounds = topics.Read<RoundAnnouncement>(Topics.FlRounds);

        Assert.All(first.History.Take(2), r => Assert.Equal(RoundStatus.Published, r.Status));
        Assert.True(modelsBefore.Count >= 4, $"the first coordinator published {modelsBefore.Count} versions, two rounds give at least 4");
        var latest = modelsBefore.Max(m => m.Version);
        var lastRound = roundsBefore.Max(r => r.Round);
        var resumed = second.History[0];
        Assert.Equal(RoundStatus.Published, resumed.Status);
        Assert.Equal(latest, resumed.BaseVersion); // from the latest global model on the topic
        Assert.Equal(lastRound + 1, resumed.Round);
        Assert.Equal((lastRound + 1, latest), (rounds[roundsBefore.Count].Round, rounds[roundsBefore.Count].BaseVersion));
        Assert.Equal(latest + 1, models[modelsBefore.Count].Version);

        // The whole topic: every (model, version) once, versions 1, 2, ... in publication order, rounds never reused.
        Assert.Equal(models.Count, models.Select(m => (m.ModelName, m.Version)).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, models.Count).Select(v => (long)v), models.Select(m => m.Version));
        Assert.Equal(Enumerable.Range(1, rounds.Count).Select(r => (long)r), rounds.Select(r => r.Round));
    }
}
