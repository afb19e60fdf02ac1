using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// The mass balance model (the <c>bal</c> feature's per-unit tank areas) through the coordinator's rounds with
/// <see cref="FederationOptions.BalanceLevel"/> and <see cref="FederationOptions.BalanceFlow"/> set: the bootstrap
/// round's global bundle holds the merge of the participants' models (one unit each), and later rounds keep it.
/// </summary>
public sealed class BalanceFederationUnitTests
{
    // One unit per cluster: 6,000 readings are 1,200 ticks (the first 140 fill the balance window; a reading that rel flags
    // silences the next 140), as in detection-quality, where every unit got an area.
    private static readonly Dictionary<string, List<DeviceReading>> Windows =
        ScenarioData.Telemetry(clusters: 3, count: 6000, seed: 9).ToDictionary(p => p.Key, p => p.Value.Select(r => r.Reading).ToList());

    private static readonly FederationOptions Options = With();

    [Fact]
    public void BootstrapRound_BalanceOn_GlobalModelIsTheMergeOfTheParticipantsModels()
    {
        using var rounds = new LocalRounds(Options, Windows);
        var layout = Options.Layout();
        var local = Windows.OrderBy(p => FederationOptions.ParticipantIdFor(p.Key), StringComparer.Ordinal)
            .Select(p =>
            {
                var events = BundleTrainer.Featurize(layout, p.Value);
                return events.WithRelations(events.FitRelations()).FitBalance()!;
            })
            .ToList();

        var result = rounds.Round(Options.CreateStrategy());

        Assert.Equal(RoundStatus.Published, result.Status);
        var global = rounds.Global!.Balance;
        Assert.NotNull(global);
        Assert.Equal(3, global.Units);
        Assert.Equal(MassBalanceModel.Merge(local).Serialize(), global.Serialize());
        Assert.All(global.UnitKeys, unit => Assert.InRange(global.Area(unit)!.Value, 1.2, 1.8)); // the simulator draws 1.3–1.7 m²
    }

    [Fact]
    public void SecondRound_BalanceOn_KeepsTheBootstrapModel()
    {
        using var rounds = new LocalRounds(Options, Windows);
        rounds.Round(Options.CreateStrategy());
        var first = rounds.Global!.Balance!.Serialize();

        var result = rounds.Round(Options.CreateStrategy());

        Assert.Equal(RoundStatus.Published, result.Status);
        Assert.Equal(first, rounds.Global!.Balance!.Serialize());
    }

    [Fact]
    public void Validate_BalanceNeedsBothNamesAndRelationResiduals()
    {
        var withoutRelations = Assert.Throws<ArgumentException>(() => With(relations: false).Validate());
        Assert.Contains("RelationResiduals", withoutRelations.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => With(flow: "").Validate());
        Assert.False(new FederationOptions().Layout().HasBalance); // off by default
        Assert.False(With(stream: Topics.ChainBlocks).Layout().HasBalance); // telemetry only
        Assert.True(Options.Layout().HasBalance);
    }

    private static FederationOptions With(bool relations = true, string flow = "flow_m3h", string stream = Topics.IiotTelemetry) => new()
    {
        ModelName = "balance",
        Stream = stream,
        Detector = "pca",
        RelationResiduals = relations,
        BalanceLevel = "level_m",
        BalanceFlow = flow,
    };
}
