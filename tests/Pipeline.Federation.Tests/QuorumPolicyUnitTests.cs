using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// The quorum policy at <see cref="RoundAggregator.Close"/>, the coordinator's call when a round's deadline passes: every
/// combination of <c>Federation:QuorumPolicy</c>, <c>MinParticipants</c> and how many of three selected participants sent
/// a valid (real, signed PCA) update. QuorumPolicyTests plays the short-of-quorum cases through the broker.
/// </summary>
public sealed class QuorumPolicyUnitTests : IDisposable
{
    private static readonly string[] Selected = ["fl-c01", "fl-c02", "fl-c03"];

    private readonly CalibrationRound _round = new(SmallFederation.Readings, SmallFederation.Options("quorum"));

    [Theory]
    [InlineData("skip", 3, 2, RoundStatus.Skipped)]
    [InlineData("close", 3, 2, RoundStatus.Published)]
    [InlineData("skip", 2, 2, RoundStatus.Published)]
    [InlineData("close", 2, 2, RoundStatus.Published)]
    [InlineData("skip", 3, 3, RoundStatus.Published)]
    [InlineData("close", 3, 1, RoundStatus.Published)]
    [InlineData("skip", 1, 0, RoundStatus.Skipped)]
    [InlineData("close", 1, 0, RoundStatus.Skipped)]
    public void Close_PolicyQuorumAndTurnout_PublishesFromTheArrivedUpdatesOrSkips(string policy, int minParticipants, int answered, RoundStatus expected)
    {
        var collector = Collector(answered);

        var (result, bundle) = RoundAggregator.Close(collector, new FedAvgStrategy(), minParticipants, skipShortOfQuorum: policy == "skip", version: 1, DateTimeOffset.UnixEpoch);

        var arrived = Selected.Take(answered).ToArray();
        Assert.Equal(Selected, result.Selected);
        Assert.Equal(expected, result.Status);
        Assert.Equal(arrived, result.Accepted);
        if (expected == RoundStatus.Published)
        {
            Assert.Equal(arrived, result.Model!.Participants);
            Assert.Equal(1, result.Model.Version);
            Assert.Contains(new NamedValue("samples", collector.Accepted.Sum(a => a.Update.SampleCount)), result.Model.Metrics);
            Assert.NotNull(bundle);
        }
        else
        {
            Assert.Null(result.Model);
            Assert.Null(bundle);
            Assert.Contains(answered == 0 ? "no valid update" : $"{answered} of the {minParticipants}", result.Reason, StringComparison.Ordinal);
        }
    }

    public void Dispose() => _round.Dispose();

    // The bootstrap round of c01, c02, c03 with the first `answered` of them having sent their update by the deadline.
    private RoundCollector Collector(int answered)
    {
        var announcement = _round.Announcement(round: 1, baseVersion: 0, epochs: 1);
        var layout = _round.Options.Layout();
        var collector = new RoundCollector(announcement, null, layout, null, id => _round.Keys.GetValueOrDefault(id), new NonceLedger(), 0);
        foreach (var id in Selected.Take(answered))
        {
            var cluster = id[3..];
            var local = BundleTrainer.Featurize(layout, _round.Windows[cluster]);
            var (update, _) = ParticipantTrainer.Train(announcement, null, local, _round.Options, id, cluster, _round.Keys[id], DateTimeOffset.UnixEpoch, CancellationToken.None);
            Assert.Null(collector.Offer(update, 100));
        }

        return collector;
    }
}
