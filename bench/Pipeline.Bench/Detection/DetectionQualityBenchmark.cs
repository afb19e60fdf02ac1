using System.Diagnostics;
using System.Globalization;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Bench.Detection;

/// <summary>
/// <c>detection-quality</c>: ROC AUC, PR AUC and F1 of the five detectors on seeded synthetic IIoT telemetry and chain
/// blocks/transactions, featurized by the production featurizers. Prints Markdown tables (docs/detection.md).
/// Options: <c>--seed N</c> (default 2026), <c>--scale F</c> (data size multiplier, default 1).
/// </summary>
public static class DetectionQualityBenchmark
{
    private const int NedWindow = 4;

    /// <summary>Runs the benchmark.</summary>
    public static Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var seed = IntOption(args, "--seed", 2026);
        var scale = double.Parse(Option(args, "--scale") ?? "1", CultureInfo.InvariantCulture);
        var inv = CultureInfo.InvariantCulture;
        _ned = new NedOptions
        {
            Optimizer = Option(args, "--ned-optimizer") == "adam" ? NedOptimizer.Adam : NedOptimizer.Sgd,
            Epochs = IntOption(args, "--ned-epochs", new NedOptions().Epochs),
            LearningRate = double.Parse(Option(args, "--ned-lr") ?? new NedOptions().LearningRate.ToString(inv), inv),
        };
        var only = Option(args, "--only");
        _nedLayers = Option(args, "--ned-layers")?.Split(',').Select(v => int.Parse(v, inv)).ToArray();
        Console.WriteLine($"# detection-quality (seed {seed}, scale {scale.ToString(inv)})");
        Console.WriteLine();

        var iiotGen = (Train: new IiotGenerator(seed), Test: new IiotGenerator(seed + 1));
        var devices = (int)(16 * scale);
        var iiotTrain = iiotGen.Train.Generate(devices, 3000, attackShare: 0.01);
        var iiotTest = iiotGen.Test.Generate(devices, 3000, attackShare: 0.08);
        var chainTrain = new ChainGenerator(seed + 2);
        var chainTest = new ChainGenerator(seed + 3);
        var sets = new List<(QualitySet Set, QualitySet? Windowed)>
        {
            IiotSets(iiotTrain, iiotTest),
            (Featurize("chain transactions", () => new TransactionFeaturizer(), chainTrain.Transactions(2000, (int)(60_000 * scale), 0.01), chainTest.Transactions(2000, (int)(60_000 * scale), 0.06), e => $"{e.ClusterId}/{e.FromAccount}", null).Set, null),
            (Featurize("chain blocks", () => new BlockFeaturizer(), chainTrain.Blocks(4, (int)(4000 * scale), 0.01), chainTest.Blocks(4, (int)(4000 * scale), 0.08), e => e.ClusterId, null).Set, null),
        };

        var summary = new List<string>();
        var breakdown = new List<string>();
        foreach (var (set, windowed) in sets)
        {
            ct.ThrowIfCancellationRequested();
            if (only is not null && !set.Name.StartsWith(only, StringComparison.OrdinalIgnoreCase)) continue;
            var labels = set.IsAttack;
            Console.WriteLine($"## {set.Name}: train {set.Train.Rows} x {set.Train.Columns}, test {set.Test.Rows} rows, {labels.Count(l => l)} attack rows ({string.Join(", ", set.TestLabels.Where(l => l != "normal").GroupBy(l => l).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))})");
            var runs = new List<(string Name, QualitySet Data)>
            {
                ("NED", set), ("Isolation Forest", set), ("PCA-Mahalanobis", set), ("K-means", set), ("CBLOF", set),
            };
            if (windowed is not null) runs.Insert(1, ($"NED (window w={NedWindow})", windowed));
            foreach (var (name, data) in runs)
            {
                if (args.Contains("--ned-only") && !name.StartsWith("NED", StringComparison.Ordinal)) continue;
                var clock = Stopwatch.StartNew();
                var detector = FitByName(name, data.Train, seed);
                var fitSeconds = clock.Elapsed.TotalSeconds;
                var scores = new float[data.Test.Rows];
                detector.Score(data.Test.Values, scores);
                var report = DetectionMetrics.Evaluate(scores, labels, detector.Threshold);
                summary.Add(string.Create(inv, $"| {set.Name} | {name} | {report.RocAuc:F3} | {report.PrAuc:F3} | {report.F1:F3} | {report.Precision:F3} | {report.Recall:F3} | {report.FalsePositiveRate:F4} | {fitSeconds:F1} |"));
                var perAttack = set.TestLabels.Where(l => l != "normal").Distinct().OrderBy(l => l, StringComparer.Ordinal).Select(attack =>
                {
                    var keep = Enumerable.Range(0, scores.Length).Where(i => set.TestLabels[i] == "normal" || set.TestLabels[i] == attack).ToArray();
                    var auc = DetectionMetrics.RocAuc(keep.Select(i => scores[i]).ToArray(), keep.Select(i => labels[i]).ToArray());
                    return string.Create(inv, $"{attack} {auc:F3}");
                });
                breakdown.Add($"| {set.Name} | {name} | {string.Join(", ", perAttack)} |");
                Console.WriteLine(string.Create(inv, $"  {name,-22} ROC AUC {report.RocAuc:F3}  PR AUC {report.PrAuc:F3}  F1 {report.F1:F3}  fit {fitSeconds:F1}s"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| data set | detector | ROC AUC | PR AUC | F1 @ threshold | precision | recall | FPR | fit s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        summary.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine("| data set | detector | ROC AUC per attack type (attack rows vs all normal rows) |");
        Console.WriteLine("|---|---|---|");
        breakdown.ForEach(Console.WriteLine);
        return Task.FromResult(0);
    }

    private static NedOptions _ned = new();
    private static int[]? _nedLayers;

    internal static IAnomalyDetector FitByName(string name, FeatureMatrix train, int seed) => name switch
    {
        _ when name.StartsWith("NED", StringComparison.Ordinal) => NedDetector.Fit(train, _ned with { Seed = seed, HiddenLayers = _nedLayers ?? [Math.Max(8, train.Columns), Math.Max(4, train.Columns / 4)] }),
        "Isolation Forest" => IsolationForestDetector.Fit(train, new IsolationForestOptions { Seed = seed }),
        "PCA-Mahalanobis" => PcaMahalanobisDetector.Fit(train, new PcaMahalanobisOptions { Seed = seed }),
        "K-means" => KMeansDetector.Fit(train, new KMeansOptions { Seed = seed }),
        "CBLOF" => CblofDetector.Fit(train, new CblofOptions { Seed = seed }),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown detector"),
    };

    private static (QualitySet Set, QualitySet? Windowed) IiotSets(List<Labelled<DeviceReading>> train, List<Labelled<DeviceReading>> test) =>
        Featurize("IIoT telemetry", () => new DeviceReadingFeaturizer(IiotGenerator.Measurements), train, test, e => $"{e.ClusterId}/{e.FactoryId}/{e.DeviceId}", NedWindow);

    // Featurizes both streams with fresh featurizers (no state crosses from train to test), standardises with a
    // standardizer fitted on the training features, and optionally builds per-entity sequence windows for NED.
    private static (QualitySet Set, QualitySet? Windowed) Featurize<T>(
        string name, Func<IFeaturizer<T>> create, List<Labelled<T>> train, List<Labelled<T>> test, Func<T, string> entity, int? window)
    {
        var trainRaw = Raw(create(), train);
        var standardizer = new RunningStandardizer(trainRaw.Columns);
        for (var r = 0; r < trainRaw.Rows; r++) standardizer.Update(trainRaw.Row(r));
        var trainZ = Standardise(standardizer, trainRaw);
        var testZ = Standardise(standardizer, Raw(create(), test));
        var labels = test.Select(t => t.Label).ToArray();
        var set = new QualitySet(name, trainZ, testZ, labels);
        if (window is not { } w) return (set, null);
        return (set, new QualitySet(name, Windows(trainZ, train.Select(t => entity(t.Event)).ToArray(), w), Windows(testZ, test.Select(t => entity(t.Event)).ToArray(), w), labels));
    }

    private static FeatureMatrix Raw<T>(IFeaturizer<T> featurizer, List<Labelled<T>> events)
    {
        var d = featurizer.Dimension;
        var values = new float[events.Count * d];
        for (var i = 0; i < events.Count; i++) featurizer.Featurize(events[i].Event, values.AsSpan(i * d, d));
        return new FeatureMatrix(values, events.Count, d);
    }

    private static FeatureMatrix Standardise(RunningStandardizer standardizer, FeatureMatrix raw)
    {
        var values = new float[raw.Values.Length];
        for (var r = 0; r < raw.Rows; r++)
        {
            standardizer.Transform(raw.Row(r), values.AsSpan(r * raw.Columns, raw.Columns));

            // Clip extreme z-scores: one huge value (a replay's negative sequence gap) must not blow up distances.
            for (var j = r * raw.Columns; j < (r + 1) * raw.Columns; j++) values[j] = Math.Clamp(values[j], -50f, 50f);
        }

        return new FeatureMatrix(values, raw.Rows, raw.Columns);
    }

    private static FeatureMatrix Windows(FeatureMatrix rows, string[] entities, int length)
    {
        var window = new SequenceWindow(rows.Columns, length);
        var values = new float[rows.Rows * window.Dimension];
        for (var r = 0; r < rows.Rows; r++) window.Push(entities[r], rows.Row(r), values.AsSpan(r * window.Dimension, window.Dimension));
        return new FeatureMatrix(values, rows.Rows, window.Dimension);
    }

    internal static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static int IntOption(string[] args, string name, int fallback) =>
        Option(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
