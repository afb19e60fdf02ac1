using Pipeline.Contracts;
using Pipeline.Detection;
using Pipeline.Testing;

namespace Pipeline.Federation.Tests;

/// <summary>
/// A cluster that joins a running federation after several versions were published: its participant reads
/// fl.global-model from the beginning and trains its first round from the latest global model, not from scratch.
/// </summary>
public sealed class ParticipantLateJoinTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task Participant_JoiningAfterSeveralVersions_TrainsItsFirstRoundFromTheLatestGlobalModel()
    {
        await using var topics = SmallFederation.Create(kafka, "late-join");
        var options = topics.Isolate(SmallFederation.Options("late-join"));
        foreach (var cluster in new[] { "c01", "c02" }) await SmallFederation.WindowFullAsync(await topics.StartParticipantAsync(options, cluster));
        var coordinator = await topics.StartCoordinatorAsync(options);
        await Eventually.UntilAsync(() => coordinator.History.Count >= 2, TimeSpan.FromSeconds(60), () => $"two rounds before c03 joins ({coordinator.History.Count} closed)");
        var versionsAtJoin = topics.Read<GlobalModel>(Topics.FlGlobalModel).Max(m => m.Version);

        // c03 registers its key (the coordinator selects every registered participant from its next round on) and starts;
        // its first training update is captured with the model it trained from.
        var first = new TaskCompletionSource<(ModelUpdate Update, ModelBundle? Base)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await topics.StartParticipantAsync(options, "c03", (update, baseBundle, _) =>
        {
            first.TrySetResult((update, baseBundle));
            return update;
        });
        await Eventually.UntilAsync(() => coordinator.History.Any(r => r.Accepted.Contains("fl-c03")), TimeSpan.FromSeconds(60), () => "a round with fl-c03's update");
        await topics.StopAsync(coordinator);
        var (update, trainedFrom) = await first.Task;
        var models = topics.Read<GlobalModel>(Topics.FlGlobalModel);
        var announced = topics.Read<RoundAnnouncement>(Topics.FlRounds).Single(r => r.Round == update.Round);

        Assert.True(versionsAtJoin >= 4, $"only {versionsAtJoin} versions existed when c03 joined");
        var latestBeforeRound = models.Where(m => m.Round < update.Round).Max(m => m.Version);
        Assert.True(update.BaseVersion >= versionsAtJoin, $"c03 trained from version {update.BaseVersion}, {versionsAtJoin} existed when it joined");
        Assert.Equal(latestBeforeRound, update.BaseVersion);
        Assert.Equal(announced.BaseVersion, update.BaseVersion);
        Assert.NotNull(trainedFrom);
        Assert.Equal(models.Single(m => m.Version == update.BaseVersion).Model, trainedFrom.Serialize());
        Assert.Null(UpdatePayload.Decode(update.Parameters, UpdateCompression.None, null).Standardizer); // a from-scratch (bootstrap) update carries its own
        var round = coordinator.History.Single(r => r.Round == update.Round);
        Assert.Equal(RoundStatus.Published, round.Status);
        Assert.Contains("fl-c03", round.Accepted);
    }
}
