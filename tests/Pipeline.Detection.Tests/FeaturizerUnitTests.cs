using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class FeaturizerUnitTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DeviceReading Reading(long sequence, double temperature, double pressure, string device = "d1") => new()
    {
        ClusterId = "c1",
        FactoryId = "f1",
        DeviceId = device,
        DeviceType = "press",
        Sequence = sequence,
        Timestamp = Start.AddSeconds(sequence),
        Measurements = [new NamedValue("temperature", temperature), new NamedValue("pressure", pressure)],
    };

    private static float[] Feed(DeviceReadingFeaturizer featurizer, IEnumerable<DeviceReading> readings)
    {
        var features = new float[featurizer.Dimension];
        foreach (var r in readings) featurizer.Featurize(r, features);
        return features;
    }

    private static float Feature(DeviceReadingFeaturizer featurizer, float[] features, string name) =>
        features[featurizer.FeatureNames.ToList().IndexOf(name)];

    [Fact]
    public void Featurize_FrozenSensor_DiffersFromNormalNoise()
    {
        var random = new Random(3);
        var normal = new DeviceReadingFeaturizer(["temperature", "pressure"]);
        var frozen = new DeviceReadingFeaturizer(["temperature", "pressure"]);
        var noisy = Enumerable.Range(0, 40).Select(i => Reading(i, 70 + random.NextDouble(), 5 + (0.1 * random.NextDouble()))).ToList();
        var stuck = noisy.Take(20).Concat(Enumerable.Range(20, 20).Select(i => Reading(i, noisy[19].Measurements[0].Value, noisy[19].Measurements[1].Value))).ToList();

        var a = Feed(normal, noisy);
        var b = Feed(frozen, stuck);

        Assert.Equal(-4f, Feature(frozen, b, "temperature.logstd"), 3); // log10(0 + 1e-4)
        Assert.True(Feature(normal, a, "temperature.logstd") > -1f);
        Assert.Equal(1f, Feature(frozen, b, "unchanged"));
        Assert.Equal(0f, Feature(normal, a, "unchanged"));
        Assert.Equal(0f, Feature(frozen, b, "temperature.delta"));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Featurize_ReplayedReading_SetsRepeatAndNegativeSequenceGap()
    {
        var featurizer = new DeviceReadingFeaturizer(["temperature", "pressure"]);
        var random = new Random(4);
        var history = Enumerable.Range(0, 10).Select(i => Reading(i, 70 + random.NextDouble(), 5 + random.NextDouble())).ToList();
        Feed(featurizer, history);

        var features = Feed(featurizer, [history[3]]);

        Assert.Equal(1f, Feature(featurizer, features, "repeat"));
        Assert.Equal(3 - 9, Feature(featurizer, features, "seq_gap"));
        Assert.Equal(9 - 3, Feature(featurizer, features, "seq_behind"));
    }

    [Fact]
    public void Featurize_RenumberedReplayOlderThanWindow_StillRecognised()
    {
        var featurizer = new DeviceReadingFeaturizer(["temperature", "pressure"], new FeaturizerOptions { Window = 4, ReplayMemory = 64 });
        var random = new Random(5);
        var history = Enumerable.Range(0, 40).Select(i => Reading(i, 70 + random.NextDouble(), 5 + random.NextDouble())).ToList();
        var fresh = Feed(featurizer, history);
        Assert.Equal(0f, Feature(featurizer, fresh, "repeat"));

        var replayed = history[5] with { Sequence = 40, Timestamp = Start.AddSeconds(40) };
        var features = Feed(featurizer, [replayed]);

        Assert.Equal(1f, Feature(featurizer, features, "repeat"));
        Assert.Equal(1f, Feature(featurizer, features, "seq_gap"));
    }

    [Fact]
    public void Featurize_SlowDrift_GrowsDriftFeature()
    {
        var featurizer = new DeviceReadingFeaturizer(["temperature", "pressure"]);
        var steady = Feed(featurizer, Enumerable.Range(0, 200).Select(i => Reading(i, 70 + (0.01 * (i % 2)), 5)));
        var drifted = Feed(featurizer, Enumerable.Range(200, 200).Select(i => Reading(i, 70 + (0.05 * (i - 200)), 5)));

        Assert.True(Math.Abs(Feature(featurizer, steady, "temperature.drift")) < 0.05f);
        Assert.True(Feature(featurizer, drifted, "temperature.drift") > 2f);
    }

    [Fact]
    public void Featurize_FirstEventOfEntity_HasZeroedContext()
    {
        var featurizer = new DeviceReadingFeaturizer(["temperature", "pressure"]);
        Feed(featurizer, Enumerable.Range(0, 5).Select(i => Reading(i, 70 + i, 5)));

        var features = Feed(featurizer, [Reading(100, 80, 6, device: "d2")]);

        Assert.Equal(80f, Feature(featurizer, features, "temperature"));
        Assert.Equal(0f, Feature(featurizer, features, "temperature.delta"));
        Assert.Equal(0f, Feature(featurizer, features, "dt"));
        Assert.Equal(0f, Feature(featurizer, features, "history"));
        Assert.Equal(2, featurizer.TrackedEntities);
    }

    [Fact]
    public void Featurize_MoreDevicesThanCapacity_EvictsLeastRecent()
    {
        var featurizer = new DeviceReadingFeaturizer(["temperature"], new FeaturizerOptions { MaxEntities = 2 });
        Feed(featurizer, [Reading(0, 1, 0, "a"), Reading(0, 1, 0, "b"), Reading(1, 1, 0, "a"), Reading(0, 1, 0, "c")]);

        Assert.Equal(2, featurizer.TrackedEntities);
        Assert.Equal(1, featurizer.Evictions);
        var features = Feed(featurizer, [Reading(1, 2, 0, "b")]); // b was evicted: cold again
        Assert.Equal(0f, Feature(featurizer, features, "history"));
    }

    [Fact]
    public void Featurize_MissingMeasurement_CountedAndZero()
    {
        var featurizer = new DeviceReadingFeaturizer(["temperature", "pressure", "vibration"]);

        var features = Feed(featurizer, [Reading(0, 70, 5)]);

        Assert.Equal(1f, Feature(featurizer, features, "missing"));
        Assert.Equal(0f, Feature(featurizer, features, "vibration"));
        Assert.Equal((3 * 5) + 8 + (2 * 3 * 2) + 1, featurizer.Dimension); // per measurement, shared, unit snapshot (2 slots, latest and average), rel
    }

    [Fact]
    public void Featurize_ReplayedRecording_RunGrowsWhileChanceRepeatStaysIsolated()
    {
        var featurizer = new DeviceReadingFeaturizer(["temperature", "pressure"]);
        var random = new Random(6);
        var history = Enumerable.Range(0, 50).Select(i => Reading(i, 70 + random.NextDouble(), 5 + random.NextDouble())).ToList();
        Feed(featurizer, history);

        var chance = Feed(featurizer, [history[10] with { Sequence = 50 }, Reading(51, 99, 9)]);
        Assert.Equal(0f, Feature(featurizer, chance, "replay_run"));

        var replay = Feed(featurizer, Enumerable.Range(0, 7).Select(i => history[20 + i] with { Sequence = 52 + i }));
        Assert.Equal(1f, Feature(featurizer, replay, "repeat"));
        Assert.Equal((float)Math.Log2(1 + 7), Feature(featurizer, replay, "replay_run"), 4);
    }

    [Fact]
    public void Featurize_DevicesOfOneUnit_ShareSnapshotInDeviceIdOrder()
    {
        var featurizer = new DeviceReadingFeaturizer(["level", "flow"]);
        DeviceReading Device(string id, params NamedValue[] values) => new()
        {
            ClusterId = "c1",
            FactoryId = "f1",
            DeviceId = id,
            DeviceType = "t",
            Sequence = 0,
            Timestamp = Start,
            Measurements = values,
        };

        Feed(featurizer, [Device("f1-P101", new NamedValue("flow", 20)), Device("f1-FIT101", new NamedValue("flow", 35)), Device("f1-FIT201", new NamedValue("flow", 99))]);
        var features = Feed(featurizer, [Device("f1-LIT101", new NamedValue("level", 2.5))]);

        Assert.Equal(2.5f, Feature(featurizer, features, "unit.level.1"));
        Assert.Equal(2.5f, Feature(featurizer, features, "unit.level.1.avg")); // a first value starts its average
        Assert.Equal(35f, Feature(featurizer, features, "unit.flow.1")); // FIT101 sorts before P101
        Assert.Equal(20f, Feature(featurizer, features, "unit.flow.2")); // FIT201 is in unit 2
        Assert.Equal(2, featurizer.TrackedUnits);
    }

    [Theory]
    [InlineData("c01-f01-LIT101", "c01/f01/1")]
    [InlineData("c01-f01-P301", "c01/f01/3")]
    [InlineData("pump", "c01/f01")]
    [InlineData("c01-f01-7", "c01/f01")]
    public void UnitOf_IsaStyleTag_GroupsByLoopHundreds(string device, string unit) =>
        Assert.Equal(unit, DeviceReadingFeaturizer.UnitOf("c01", "f01", device));

    [Fact]
    public void TransactionFeaturizer_ReusedNonce_FlagsDoubleSpend()
    {
        var featurizer = new TransactionFeaturizer();
        var features = new float[featurizer.Dimension];
        TransactionEvent Tx(string id, long nonce, int second) => new()
        {
            ClusterId = "c",
            TransactionId = id,
            FromAccount = "alice",
            ToAccount = "bob",
            Amount = 10,
            Fee = 0.1,
            SizeBytes = 250,
            InputCount = 1,
            OutputCount = 2,
            AccountNonce = nonce,
            PayloadBytes = 0,
            Timestamp = Start.AddSeconds(second),
        };

        featurizer.Featurize(Tx("t1", 1, 0), features);
        featurizer.Featurize(Tx("t2", 2, 10), features);
        Assert.Equal(0f, features[11]);
        Assert.Equal(1f, features[10]);

        featurizer.Featurize(Tx("t3", 2, 11), features);
        Assert.Equal(1f, features[11]);
        Assert.Equal(0f, features[10]);
    }

    [Fact]
    public void BlockFeaturizer_ForkAndMinerDominance_Visible()
    {
        var featurizer = new BlockFeaturizer(new FeaturizerOptions { Window = 4 });
        var features = new float[featurizer.Dimension];
        BlockEvent Block(long height, string hash, string previous, string miner) =>
            TestData.Block("c", height, hash, previous, miner, Start.AddSeconds(height * 10));

        featurizer.Featurize(Block(1, "h1", "h0", "m1"), features);
        featurizer.Featurize(Block(2, "h2", "h1", "m2"), features);
        Assert.Equal(0f, features[10]);
        featurizer.Featurize(Block(2, "h2x", "h1", "m3"), features); // competing block at the same height is not a fork of its parent
        Assert.Equal(0f, features[9]);
        featurizer.Featurize(Block(3, "h3x", "h2zz", "m3"), features); // parent unknown at height 2 → fork
        Assert.Equal(1f, features[10]);
        Assert.Equal(1 / 3f, features[11], 3); // m3 mined 1 of the 3 earlier blocks in the window
        Assert.Equal(2f, features[12]); // second block in a row by m3
        Assert.Equal("miner_streak", featurizer.FeatureNames[12]);
    }

    [Fact]
    public void BlockFeaturizer_FakeBlockWithLowDifficulty_DoesNotShiftTheNextBlocksDeviation()
    {
        var featurizer = new BlockFeaturizer(new FeaturizerOptions { Window = 8 });
        var features = new float[featurizer.Dimension];
        var difficultyDev = featurizer.FeatureNames.ToList().IndexOf("difficulty_dev");
        var txDev = featurizer.FeatureNames.ToList().IndexOf("tx_dev");
        var random = new Random(4);
        var height = 0L;
        BlockEvent Next(double difficulty, int transactions)
        {
            height++;
            return TestData.Block("c", height, $"h{height}", $"h{height - 1}", $"m{height % 3}", Start.AddSeconds(height * 10)) with
            {
                Difficulty = difficulty,
                TransactionCount = transactions,
            };
        }

        for (var i = 0; i < 20; i++) featurizer.Featurize(Next(1000 * (1 + (0.002 * (random.NextDouble() - 0.5))), 100 + random.Next(-5, 6)), features);
        featurizer.Featurize(Next(1000 / 64.0, 3), features); // a fake block: 1/64 of the difficulty, almost empty
        var fake = (features[difficultyDev], features[txDev]);
        featurizer.Featurize(Next(1000, 100), features);

        // The fake block itself stands out by its whole difference; the ordinary block after it deviates by what the
        // fake block moved the window, which entered the window at its edge: 4 rolling standard deviations over 8 blocks
        // instead of ln 64 / 8 ≈ 0.52 in log difficulty (and 97 / 8 ≈ 12 transactions).
        Assert.True(fake.Item1 < -4, $"fake block difficulty_dev {fake.Item1}");
        Assert.True(fake.Item2 < -90, $"fake block tx_dev {fake.Item2}");
        Assert.InRange(features[difficultyDev], 0, 0.01);
        Assert.InRange(features[txDev], -2, 4);
    }

    [Fact]
    public void SequenceWindow_ColdEntity_ZeroFillsOldestSlots()
    {
        var window = new SequenceWindow(featureDimension: 2, length: 3);
        var output = new float[window.Dimension];

        window.Push("e", [1, 2], output);
        Assert.Equal([0, 0, 0, 0, 1, 2], output);

        window.Push("e", [3, 4], output);
        window.Push("e", [5, 6], output);
        window.Push("e", [7, 8], output);
        Assert.Equal([3, 4, 5, 6, 7, 8], output);
    }

    [Fact]
    public void RunningStandardizer_MergeOfShards_EqualsSinglePass()
    {
        var data = TestData.Correlated(900, 4, seed: 2);
        var whole = new RunningStandardizer(4);
        var shards = new[] { new RunningStandardizer(4), new RunningStandardizer(4), new RunningStandardizer(4) };
        for (var r = 0; r < data.Rows; r++)
        {
            whole.Update(data.Row(r));
            shards[r % 3 == 0 && r > 100 ? 0 : r % 2 == 0 ? 1 : 2].Update(data.Row(r));
        }

        var merged = RunningStandardizer.Merge(shards);
        var restored = RunningStandardizer.Deserialize(merged.Serialize());

        Assert.Equal(whole.Count, restored.Count);
        for (var j = 0; j < 4; j++)
        {
            Assert.Equal(whole.Mean[j], restored.Mean[j], 10);
            Assert.Equal(whole.Variance(j), restored.Variance(j), 10);
        }

        var z = new float[4];
        restored.Transform(data.Row(0), z);
        Assert.Equal((data.Row(0)[0] - whole.Mean[0]) / Math.Sqrt(whole.Variance(0)), z[0], 4);
    }

    [Fact]
    public void RunningStandardizer_CorruptBytes_Throws()
    {
        var s = new RunningStandardizer(2);
        s.Update([1, 2]);
        var bytes = s.Serialize();
        bytes[12] ^= 1;

        Assert.Throws<ModelFormatException>(() => RunningStandardizer.Deserialize(bytes));
    }

    [Fact]
    public void BundleLayout_WithCopy_ComputesItsOwnFeatureNames()
    {
        var layout = new BundleLayout { Stream = Topics.IiotTelemetry, Measurements = ["a"], Featurizer = new FeaturizerOptions { UnitSlots = 0 } };
        Assert.Equal(13, layout.FeatureDimension); // 5 per measurement + 8 shared; the names are now cached

        var wider = layout with { Measurements = ["a", "b"] };

        Assert.Equal(18, wider.FeatureDimension);
        Assert.Equal("b.drift", wider.FeatureNames[9]);
    }
}
