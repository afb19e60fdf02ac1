using Pipeline.Contracts;
using Pipeline.Testing;

namespace Pipeline.Federation.Tests;

/// <summary>
/// A round short of its quorum at the deadline, on the embedded broker with the real coordinator and participants:
/// <c>Federation:QuorumPolicy=skip</c> publishes nothing and goes on to the next round, <c>close</c> publishes a model
/// built from the updates that came; an update that misses its round is counted as late once and never aggregated.
/// The whole policy × turnout matrix runs without the broker in QuorumPolicyUnitTests.
/// </summary>
public sealed class QuorumPolicyTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    // Only these rounds wait for their deadline (a selected participant stays silent), so it is short; c01 answers within
    // it because its window is full before the coordinator starts.
    private const double DeadlineSeconds = 5;

    [Fact]
    public async Task Coordinator_SkipPolicyShortOfQuorum_PublishesNothingAndAnnouncesTheNextRound()
    {
        await using var topics = SmallFederation.Create(kafka, "quorum-skip");
        var options = topics.Isolate(SmallFederation.Options("quorum-skip"));
        options.QuorumPolicy = "skip";
        options.RoundTimeoutSeconds = DeadlineSeconds;
        options.MaxRounds = 2;
        topics.Register("c02"); // registered, so selected, but no participant runs for it
        await SmallFederation.WindowFullAsync(await topics.StartParticipantAsync(options, "c01"));

        var coordinator = await topics.StartCoordinatorAsync(options);
        await Eventually.UntilAsync(() => coordinator.History.Count >= 1, TimeSpan.FromSeconds(60), () => "round 1 to close");
        await Eventually.UntilAsync(() => topics.Read<RoundAnnouncement>(Topics.FlRounds).Count >= 2, TimeSpan.FromSeconds(30), () => "round 2's announcement");
        await topics.StopAsync(coordinator);

        var first = coordinator.History[0];
        Assert.Equal((1L, RoundStatus.Skipped), (first.Round, first.Status));
        Assert.Equal(["fl-c01", "fl-c02"], first.Selected);
        Assert.Equal(["fl-c01"], first.Accepted); // skipped for want of quorum, not for want of updates
        Assert.Contains("1 of the 2", first.Reason, StringComparison.Ordinal);
        Assert.Null(first.Model);
        Assert.Empty(topics.Read<GlobalModel>(Topics.FlGlobalModel));
        var rounds = topics.Read<RoundAnnouncement>(Topics.FlRounds);
        Assert.Equal([(1L, 0L), (2L, 0L)], rounds.Select(r => (r.Round, r.BaseVersion)));
    }

    [Fact]
    public async Task Coordinator_ClosePolicyShortOfQuorum_PublishesTheUpdatesThatCameAndCountsTheLateOneOnce()
    {
        await using var topics = SmallFederation.Create(kafka, "quorum-close");
        var options = topics.Isolate(SmallFederation.Options("quorum-close"));
        options.QuorumPolicy = "close";
        options.RoundTimeoutSeconds = DeadlineSeconds;
        options.MaxRounds = 2;

        // c02 trains round 1 like everyone but holds its update until round 1 has closed without it (the candidate of
        // version 1 is out): the update then arrives late — typically while the calibration round collects — and must be
        // counted once and dropped. Its later rounds go out at once.
        FederationCoordinator? coordinator = null;
        var c02 = await topics.StartParticipantAsync(options, "c02", (update, _, _) =>
        {
            if (update.Round == 1) SpinWait.SpinUntil(() => Volatile.Read(ref coordinator)?.CurrentVersion >= 1, TimeSpan.FromSeconds(60));
            return update;
        });
        var c01 = await topics.StartParticipantAsync(options, "c01");
        await SmallFederation.WindowFullAsync(c01);
        await SmallFederation.WindowFullAsync(c02);

        Volatile.Write(ref coordinator, await topics.StartCoordinatorAsync(options));
        await Eventually.UntilAsync(() => coordinator.History.Count >= 2, TimeSpan.FromSeconds(90), () => $"two rounds to close ({coordinator.History.Count} closed)");
        await topics.StopAsync(coordinator);

        var history = coordinator.History;
        var first = history[0];
        Assert.Equal((1L, RoundStatus.Published), (first.Round, first.Status));
        Assert.Equal(["fl-c01", "fl-c02"], first.Selected);
        Assert.Equal(["fl-c01"], first.Accepted);
        var published = topics.Read<GlobalModel>(Topics.FlGlobalModel);
        Assert.All(published.Where(m => m.Version <= 2), m => Assert.Equal(["fl-c01"], m.Participants)); // candidate and calibrated version of round 1
        Assert.Contains(published, m => m.Version == 1 && m.Metrics.Contains(new NamedValue("accepted", 1)));

        // The held update: counted as late exactly once, whichever phase it landed in, and in no model.
        Assert.Equal(1, history.Sum(r => r.Late));
        var late = Assert.Single(history.SelectMany(r => r.Rejected));
        Assert.Equal(("fl-c02", 1L, RejectionReason.StaleRound), (late.ParticipantId, late.Round, late.Reason));
        Assert.Equal(RoundStatus.Published, history[1].Status);
        Assert.Equal(["fl-c01", "fl-c02"], history[1].Accepted.Order(StringComparer.Ordinal));
    }
}
