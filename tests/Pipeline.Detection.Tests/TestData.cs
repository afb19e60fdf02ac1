using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

/// <summary>Small seeded data sets: correlated Gaussian rows with a few rows that break the correlation.</summary>
internal static class TestData
{
    /// <summary>A block of chain <paramref name="cluster"/> with ordinary contents (100 transactions, 50 kB, difficulty 1000).</summary>
    public static BlockEvent Block(string cluster, long height, string hash, string previous, string miner, DateTimeOffset time) => new()
    {
        ClusterId = cluster,
        Height = height,
        BlockHash = hash,
        PreviousHash = previous,
        MinerId = miner,
        Timestamp = time,
        TransactionCount = 100,
        SizeBytes = 50_000,
        Difficulty = 1000,
        Nonce = height,
        TotalValue = 1000,
        TotalFees = 1,
        Reward = 6.25,
    };

    /// <summary>A one-measurement reading of <paramref name="device"/> in factory f of cluster c at second <paramref name="tick"/>.</summary>
    public static DeviceReading UnitReading(string device, string name, double value, int tick) => new()
    {
        ClusterId = "c",
        FactoryId = "f",
        DeviceId = device,
        DeviceType = "t",
        Sequence = tick,
        Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(tick),
        Measurements = [new NamedValue(name, value)],
    };

    public static FeatureMatrix Correlated(int rows, int columns, int seed, double anomalyShare, out bool[] labels)
    {
        var random = new Random(seed);
        var values = new float[rows * columns];
        labels = new bool[rows];
        for (var r = 0; r < rows; r++)
        {
            var latentA = Gaussian(random);
            var latentB = Gaussian(random);
            var anomaly = random.NextDouble() < anomalyShare;
            labels[r] = anomaly;
            for (var c = 0; c < columns; c++)
            {
                var loadingA = Math.Cos(c * 0.7);
                var loadingB = Math.Sin(c * 0.4);
                var v = (loadingA * latentA) + (loadingB * latentB) + (0.1 * Gaussian(random));
                if (anomaly && c % 3 == 0)
                {
                    v += (random.NextDouble() < 0.5 ? -1 : 1) * (1.5 + random.NextDouble());
                }

                values[(r * columns) + c] = (float)v;
            }
        }

        return new FeatureMatrix(values, rows, columns);
    }

    public static FeatureMatrix Correlated(int rows, int columns, int seed) => Correlated(rows, columns, seed, 0, out _);

    public static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static float[] ScoreAll(IAnomalyDetector detector, FeatureMatrix data)
    {
        var scores = new float[data.Rows];
        detector.Score(data.Values, scores);
        return scores;
    }

    public static IAnomalyDetector Fit(DetectorKind kind, FeatureMatrix data, int seed = 7) => kind switch
    {
        DetectorKind.Ned => NedDetector.Fit(data, new NedOptions { Seed = seed, Epochs = 4, HiddenLayers = [8, 3] }),
        DetectorKind.IsolationForest => IsolationForestDetector.Fit(data, new IsolationForestOptions { Seed = seed, Trees = 50 }),
        DetectorKind.PcaMahalanobis => PcaMahalanobisDetector.Fit(data, new PcaMahalanobisOptions { Seed = seed }),
        DetectorKind.KMeans => KMeansDetector.Fit(data, new KMeansOptions { Seed = seed, Clusters = 4 }),
        DetectorKind.Cblof => CblofDetector.Fit(data, new CblofOptions { Seed = seed, Clustering = new KMeansOptions { Clusters = 4 } }),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static TheoryData<DetectorKind> AllKinds() =>
        [DetectorKind.Ned, DetectorKind.IsolationForest, DetectorKind.PcaMahalanobis, DetectorKind.KMeans, DetectorKind.Cblof];
}
