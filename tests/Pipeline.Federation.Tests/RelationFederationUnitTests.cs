using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// The relation model (the <c>rel</c> feature's linear models) through the coordinator's rounds with
/// <see cref="FederationOptions.RelationResiduals"/> on: the bootstrap round's global bundle holds the sum of the
/// participants' sufficient statistics, and later rounds keep it.
/// </summary>
public sealed class RelationFederationUnitTests
{
    private static readonly Dictionary<string, List<DeviceReading>> Windows =
        ScenarioData.Telemetry(clusters: 3, count: 900, seed: 9).ToDictionary(p => p.Key, p => p.Value.Select(r => r.Reading).ToList());

    private static readonly FederationOptions Options = new() { ModelName = "relations", Detector = "pca", RelationResiduals = true };

    [Theory]
    [InlineData("none")]
    [InlineData("")] // the simulator's state regimes (open,running): the statistics of every regime are summed too
    public void BootstrapRound_RelationResidualsOn_GlobalModelIsTheMergeOfTheParticipantsStatistics(string states)
    {
        var expected = states == "none" ? null : BundleLayout.WaterTreatmentStates;
        var options = new FederationOptions { ModelName = Options.ModelName, Detector = Options.Detector, RelationResiduals = true, RelationStates = states };
        using var rounds = new LocalRounds(options, Windows);
        var layout = options.Layout();
        var local = Windows.OrderBy(p => FederationOptions.ParticipantIdFor(p.Key), StringComparer.Ordinal)
            .Select(p => BundleTrainer.Featurize(layout, p.Value).FitRelations()!)
            .ToList();

        var result = rounds.Round(options.CreateStrategy());

        Assert.Equal(RoundStatus.Published, result.Status);
        var global = rounds.Global!.Relations;
        Assert.NotNull(global);
        Assert.Equal(expected is null ? [] : [4, 5, 8, 9], global.StateColumns); // open and running, both unit slots
        Assert.Equal(expected, rounds.Global.Layout.Featurizer.RelationStates);
        Assert.Equal(RelationModel.Merge(local).Serialize(), global.Serialize());
        Assert.Equal(local.Sum(m => m.Samples(6, 0)), global.Samples(6, 0)); // pressure_bar, the unit's one pressure sensor
        Assert.True(global.ResidualStd(6, 0) > 0);
    }

    [Fact]
    public void SecondRound_RelationResidualsOn_KeepsTheBootstrapRelationModel()
    {
        using var rounds = new LocalRounds(Options, Windows);
        rounds.Round(Options.CreateStrategy());
        var first = rounds.Global!.Relations!.Serialize();

        var result = rounds.Round(Options.CreateStrategy());

        Assert.Equal(RoundStatus.Published, result.Status);
        Assert.Equal(first, rounds.Global!.Relations!.Serialize());
    }

    [Fact]
    public void Layout_RelationResidualsOnByDefault_IiotHasTheRelFeature()
    {
        var layout = new FederationOptions().Layout();
        var off = new FederationOptions { RelationResiduals = false }.Layout();

        Assert.True(layout.HasRelations);
        Assert.Contains("rel", layout.FeatureNames);
        Assert.False(off.HasRelations);
        Assert.DoesNotContain("rel", off.FeatureNames);
    }

    [Fact]
    public void Layout_RelationStates_DefaultToTheSimulatorsOnlyWithItsMeasurements()
    {
        static string? States(FederationOptions options) => options.Layout().Featurizer.RelationStates;
        const string Own = "level_m,flow_m3h,open,command,running,current_a,pressure_bar,temperature_c";

        Assert.Equal(BundleLayout.WaterTreatmentStates, States(new FederationOptions()));
        Assert.Null(States(new FederationOptions { RelationStates = "none" }));
        Assert.Null(States(new FederationOptions { RelationStates = " None " }));
        Assert.Null(States(new FederationOptions { Measurements = Own })); // a plant's own names: no guess at its states
        Assert.Equal("open", States(new FederationOptions { Measurements = Own, RelationStates = "open" }));
        Assert.Null(States(new FederationOptions { RelationResiduals = false })); // the default needs the relations; no error
        Assert.Null(States(new FederationOptions { Stream = Topics.ChainTransactions }));
        var error = Assert.Throws<ArgumentException>(() => new FederationOptions { RelationResiduals = false, RelationStates = "open" }.Validate());
        Assert.Contains("RelationStates needs", error.Message);
    }
}
