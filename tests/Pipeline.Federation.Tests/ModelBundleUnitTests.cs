using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

public sealed class ModelBundleUnitTests
{
    private static readonly List<DeviceReading> Readings =
        [.. ScenarioData.Telemetry(clusters: 1, count: 600, seed: 11)["c01"].Select(r => r.Reading)];

    private static ModelBundle Fit(BundleLayout layout, DetectorOptions options) =>
        BundleTrainer.Fit(layout, BundleTrainer.Featurize(layout, Readings), options);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Deserialize_SerializedBundle_GivesSameBytesAndScores(int sequenceLength)
    {
        var layout = ScenarioData.IiotLayout(sequenceLength);
        var bundle = Fit(layout, ScenarioData.SmallNed(epochs: 2));

        var bytes = bundle.Serialize();
        var copy = ModelBundle.Deserialize(bytes);

        Assert.Equal(bytes, copy.Serialize());
        Assert.Equal(layout.Measurements, copy.Layout.Measurements);
        Assert.Equal(sequenceLength, copy.Layout.SequenceLength);
        Assert.Equal(bundle.Threshold, copy.Threshold);
        Assert.Equal(ScoreAll(bundle.CreateScorer(), 50), ScoreAll(copy.CreateScorer(), 50));
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(4, 7, false)]
    [InlineData(4, 600, false)]
    [InlineData(1, 7, true)]
    [InlineData(4, 600, true)]
    public void Score_BatchesOfAnySize_EqualDetectorOnTrainingInputs(int sequenceLength, int batchSize, bool relations)
    {
        var layout = ScenarioData.IiotLayout(sequenceLength);
        if (relations) layout = layout with { Featurizer = layout.Featurizer with { UnitSlots = 2 } }; // rel, attributed per unit
        var events = BundleTrainer.Featurize(layout, Readings);
        var bundle = BundleTrainer.Fit(layout, events, new PcaMahalanobisOptions());
        var inputs = events.WithRelations(bundle.Relations).ToInputs(bundle.Standardizer);
        var expected = new float[inputs.Rows];
        bundle.Detector.Score(inputs.Values, expected);

        var actual = ScoreAll(bundle.CreateScorer(), batchSize);

        Assert.Equal(expected, actual);
    }

    // A newer version's scorer goes on from the previous scorer's entity context: on the second half of the stream it
    // scores exactly as a scorer of the newer version that had seen the first half, not as a cold one.
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Continue_NewerVersionWithTheSameLayout_ScoresAsIfItHadSeenTheEarlierEvents(int sequenceLength)
    {
        var layout = ScenarioData.IiotLayout(sequenceLength);
        var older = Fit(layout, new PcaMahalanobisOptions());
        var newer = Fit(layout, new KMeansOptions { Seed = 3 });
        var (first, second) = (Readings.GetRange(0, 300), Readings.GetRange(300, 300));
        var warm = newer.CreateScorer();
        warm.Score(first, new float[first.Count]);
        var expected = new float[second.Count];
        warm.Score(second, expected);
        var cold = new float[second.Count];
        newer.CreateScorer().Score(second, cold);

        var previous = older.CreateScorer();
        previous.Score(first, new float[first.Count]);
        var continued = previous.Continue(ModelBundle.Deserialize(newer.Serialize()));
        var actual = new float[second.Count];
        continued.Score(second, actual);

        // Sequence windows keep the rows the older version standardised until w newer rows have pushed them out: the
        // stream's five devices take turns, so from reading 5·w of the half on every window is new.
        var settled = sequenceLength == 1 ? 0 : 5 * sequenceLength;
        Assert.Equal(expected[settled..], actual[settled..]);
        Assert.NotEqual(cold[settled..], actual[settled..]);
        var error = Assert.Throws<InvalidOperationException>(() => previous.Score(second, new float[second.Count]));
        Assert.Contains("Continue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Continue_NewerVersionWithAnotherLayout_StartsColdAndLeavesThePreviousScorerWorking()
    {
        var older = Fit(ScenarioData.IiotLayout(), new PcaMahalanobisOptions());
        var newer = Fit(ScenarioData.IiotLayout(4), new PcaMahalanobisOptions());
        var previous = older.CreateScorer();
        previous.Score(Readings.GetRange(0, 300), new float[300]);
        var cold = new float[300];
        newer.CreateScorer().Score(Readings.GetRange(300, 300), cold);

        var continued = previous.Continue(newer);
        var actual = new float[300];
        continued.Score(Readings.GetRange(300, 300), actual);

        Assert.Equal(cold, actual);
        previous.Score(Readings.GetRange(300, 300), new float[300]);
    }

    [Fact]
    public void Deserialize_FlippedByte_ThrowsChecksumError()
    {
        var bytes = Fit(ScenarioData.IiotLayout(), new KMeansOptions()).Serialize();
        bytes[bytes.Length / 2] ^= 0x40;

        var error = Assert.Throws<ModelFormatException>(() => ModelBundle.Deserialize(bytes));

        Assert.Contains("checksum", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Deserialize_DetectorBlob_ThrowsNotABundle()
    {
        var detectorBytes = Fit(ScenarioData.IiotLayout(), new KMeansOptions()).Detector.Serialize();

        var error = Assert.Throws<ModelFormatException>(() => ModelBundle.Deserialize(detectorBytes));

        Assert.Contains("BHMB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_NewerFormatVersion_NamesTheVersion()
    {
        var bytes = Fit(ScenarioData.IiotLayout(), new KMeansOptions()).Serialize();
        bytes[4] = 9;

        var error = Assert.Throws<ModelFormatException>(() => ModelBundle.Deserialize(bytes));

        Assert.Contains("version 9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_EventsOfAnotherStream_ThrowsNamingTheStream()
    {
        var scorer = Fit(ScenarioData.IiotLayout(), new KMeansOptions()).CreateScorer();
        var block = new BlockEvent
        {
            ClusterId = "c01",
            Height = 1,
            BlockHash = "h1",
            PreviousHash = "h0",
            MinerId = "m1",
            Timestamp = DateTimeOffset.UnixEpoch,
            TransactionCount = 1,
            SizeBytes = 100,
            Difficulty = 1,
            Nonce = 1,
            TotalValue = 1,
            TotalFees = 0,
            Reward = 1,
        };

        var error = Assert.Throws<InvalidOperationException>(() => scorer.Score([block], new float[1]));

        Assert.Contains(Topics.IiotTelemetry, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_Row_ReturnsFeaturesByDescendingAbsoluteZ()
    {
        var bundle = Fit(ScenarioData.IiotLayout(), new KMeansOptions());
        var scorer = bundle.CreateScorer();
        var scores = new float[Readings.Count];
        scorer.Score(Readings, scores);
        var worst = Array.IndexOf(scores, scores.Max());

        var top = scorer.Explain(worst, top: 4);

        Assert.Equal(4, top.Count);
        for (var i = 1; i < top.Count; i++) Assert.True(Math.Abs(top[i - 1].Value) >= Math.Abs(top[i].Value));
        Assert.All(top, f => Assert.Contains(f.Name, bundle.Layout.FeatureNames));
        var names = bundle.Layout.FeatureNames.ToList();
        var z = ZRow(bundle, worst);
        var maxOther = names.Except(top.Select(t => t.Name)).Max(n => Math.Abs(z[names.IndexOf(n)]));
        Assert.True(Math.Abs(top[^1].Value) >= maxOther - 1e-3);
    }

    [Fact]
    public void NedParameters_FlattenThenFromVector_ScoresIdentically()
    {
        var layout = ScenarioData.IiotLayout();
        var events = BundleTrainer.Featurize(layout, Readings);
        var bundle = BundleTrainer.Fit(layout, events, ScenarioData.SmallNed(epochs: 2));
        var ned = (NedDetector)bundle.Detector;
        var inputs = events.WithRelations(bundle.Relations).ToInputs(bundle.Standardizer);

        var copy = NedParameters.FromVector(ned, NedParameters.Flatten(ned), ned.Threshold, ned.TrainingSamples);

        var a = new float[inputs.Rows];
        var b = new float[inputs.Rows];
        ned.Score(inputs.Values, a);
        copy.Score(inputs.Values, b);
        Assert.Equal(a, b);
        Assert.Equal(NedParameters.Count(ned), NedParameters.Flatten(copy).Length);
    }

    [Fact]
    public void ContinueNed_MoreEpochsOnSameData_LowersMeanReconstructionError()
    {
        var layout = ScenarioData.IiotLayout();
        var events = BundleTrainer.Featurize(layout, Readings);
        var bundle = BundleTrainer.Fit(layout, events, ScenarioData.SmallNed(epochs: 1));
        var inputs = events.WithRelations(bundle.Relations).ToInputs(bundle.Standardizer);
        var start = (NedDetector)bundle.Detector;

        var continued = BundleTrainer.ContinueNed(start, inputs, ScenarioData.SmallNed(epochs: 6));

        Assert.Equal(start.LayerSizes, continued.LayerSizes);
        Assert.True(MeanScore(continued, inputs) < MeanScore(start, inputs));
    }

    private static double MeanScore(IAnomalyDetector detector, FeatureMatrix inputs)
    {
        var scores = new float[inputs.Rows];
        detector.Score(inputs.Values, scores);
        return scores.Average();
    }

    private static float[] ZRow(ModelBundle bundle, int row)
    {
        var events = BundleTrainer.Featurize(bundle.Layout, Readings);
        var d = bundle.Layout.FeatureDimension;
        var z = new float[d];
        bundle.Standardizer.Transform(events.Features.AsSpan(row * d, d), z);
        return z;
    }

    [Fact]
    public void Fit_IiotLayoutWithUnitSnapshot_BundleCarriesAFittedRelationModelThatFillsRel()
    {
        var layout = RelationLayout();
        var bundle = Fit(layout, new PcaMahalanobisOptions());
        var rel = layout.FeatureNames.ToList().IndexOf("rel");
        var events = BundleTrainer.Featurize(layout, Readings);

        var filled = events.WithRelations(bundle.Relations);

        Assert.NotNull(bundle.Relations);
        Assert.True(bundle.Relations.Samples(6, 0) > 0);
        Assert.All(Enumerable.Range(0, events.Count), i => Assert.Equal(0f, events.Features[(i * layout.FeatureDimension) + rel]));
        Assert.Contains(Enumerable.Range(0, filled.Count), i => filled.Features[(i * layout.FeatureDimension) + rel] > 0);
    }

    [Fact]
    public void Score_IiotWithRelationModel_SteadyStateAllocatesNothing()
    {
        var bundle = Fit(RelationLayout(), new PcaMahalanobisOptions());
        var scorer = bundle.CreateScorer();
        var batch = Readings.GetRange(0, 200);
        var scores = new float[batch.Count];
        for (var i = 0; i < 3; i++) scorer.Score(batch, scores);

        var before = GC.GetAllocatedBytesForCurrentThread();
        scorer.Score(batch, scores);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.NotNull(bundle.Relations);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Deserialize_BundleWithRelationModel_GivesSameBytesAndScores()
    {
        var bundle = Fit(RelationLayout(), new PcaMahalanobisOptions());

        var bytes = bundle.Serialize();
        var copy = ModelBundle.Deserialize(bytes);

        Assert.NotNull(copy.Relations);
        Assert.Equal(bytes, copy.Serialize());
        Assert.Equal(ScoreAll(bundle.CreateScorer(), 50), ScoreAll(copy.CreateScorer(), 50));
    }

    [Fact]
    public void Deserialize_VersionThreeBundle_FailsNamingTheVersion()
    {
        var bytes = Fit(RelationLayout(), new PcaMahalanobisOptions()).Serialize();
        bytes[4] = 3;
        bytes[5] = 0;

        var ex = Assert.Throws<ModelFormatException>(() => ModelBundle.Deserialize(bytes));

        Assert.Contains("version 3 is not supported", ex.Message, StringComparison.Ordinal);
    }

    // The unit snapshot on (ScenarioData's layout switches it off), so the bundle carries a relation model.
    private static BundleLayout RelationLayout()
    {
        var layout = ScenarioData.IiotLayout();
        return layout with { Featurizer = layout.Featurizer with { UnitSlots = 2 } };
    }

    private static float[] ScoreAll(BundleScorer scorer, int batchSize)
    {
        var scores = new float[Readings.Count];
        for (var start = 0; start < Readings.Count; start += batchSize)
        {
            var batch = Readings.GetRange(start, Math.Min(batchSize, Readings.Count - start));
            scorer.Score(batch, scores.AsSpan(start, batch.Count));
        }

        return scores;
    }
}
