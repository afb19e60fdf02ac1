using System.Diagnostics;
using System.Globalization;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Detection;

/// <summary>
/// <c>detection-quality</c>: ROC AUC, PR AUC and F1 of the five detectors on labelled streams of the producers'
/// scenario simulator (<see cref="ScenarioWorld"/>), through the production path: <see cref="BundleLayout"/> →
/// <see cref="BundleTrainer"/> (featurizers, federated standardizer, detector) → <see cref="BundleScorer"/>.
/// Prints Markdown tables (docs/detection.md).
/// </summary>
/// <remarks>
/// Protocol: one seeded world; per stream the first N events are the training window (unlabelled: labels are never
/// read, attacks stay in at the scenario's rates, as on a participant), the next M events the held-out test window.
/// The scorer is warmed on the training window (so per-entity context is as warm as in a running processor) and then
/// scores the test window; only the test window's labels are read, to compute the metrics.
/// Options: <c>--seed N</c> (2026), <c>--scenario FILE</c> (producers/scenarios/default.json), <c>--scale F</c> (1),
/// <c>--only PREFIX</c> (one data set), <c>--ned-only</c>, <c>--block-confirmations K</c>
/// (<see cref="BundleLayout.DefaultBlockConfirmations"/>; 0 scores blocks on arrival); NED settings other than the defaults (for development
/// on another seed, never on the table's): <c>--ned-optimizer sgd|adam</c>, <c>--ned-epochs</c>, <c>--ned-lr</c>,
/// <c>--ned-layers 32,8</c>, <c>--ned-plain-mse</c> / <c>--ned-weighted</c> (residual weighting off / on for every
/// stream; by default <see cref="NedOptions.ResidualWeightingFor"/>), <c>--ned-fence K</c> (Tukey fence factor of the training support; <c>Infinity</c> turns the clamp off),
/// <c>--ned-trim F</c> (share of training rows left out of NED's second pass, every stream; by default
/// <see cref="NedOptions.TrimFractionFor"/>); <c>--dump DIR</c> (per data set a CSV of each test event's label, entity,
/// scores and raw features); <c>--relation-states NAMES</c> (the IIoT layout's <see cref="FeaturizerOptions.RelationStates"/>;
/// by default <see cref="BundleLayout.WaterTreatmentStates"/>, <c>none</c> turns the state regimes off); <c>--cold-start</c> (NED on the streams scored on arrival: the alerts of a scorer that starts
/// without per-entity context, and after the last 100 / 250 / 1000 training events).
/// </remarks>
public static class DetectionQualityBenchmark
{
    private const int NedWindow = 4;

    /// <summary>Runs the benchmark.</summary>
    public static Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var seed = IntOption(args, "--seed", 2026);
        var scale = double.Parse(Option(args, "--scale") ?? "1", inv);
        var scenarioPath = Option(args, "--scenario") ?? FindDefaultScenario();
        var scenario = ScenarioLoader.Load(scenarioPath);
        var only = Option(args, "--only");
        var dumpDirectory = Option(args, "--dump");
        var confirmations = IntOption(args, "--block-confirmations", BundleLayout.DefaultBlockConfirmations);
        var defaults = new NedOptions();
        var ned = defaults with
        {
            Seed = seed,
            Optimizer = Option(args, "--ned-optimizer") is { } o ? Enum.Parse<NedOptimizer>(o, ignoreCase: true) : defaults.Optimizer,
            Epochs = IntOption(args, "--ned-epochs", defaults.Epochs),
            LearningRate = Option(args, "--ned-lr") is { } lr ? double.Parse(lr, inv) : defaults.LearningRate,
            HiddenLayers = Option(args, "--ned-layers")?.Split(',').Select(v => int.Parse(v, inv)).ToArray() ?? defaults.HiddenLayers,
            SupportFence = Option(args, "--ned-fence") is { } k ? double.Parse(k, inv) : defaults.SupportFence,
        };
        // NED's residual weighting per stream as the federation chooses it, unless forced for every stream.
        bool? weighting = args.Contains("--ned-plain-mse") ? false : args.Contains("--ned-weighted") ? true : null;
        double? trim = Option(args, "--ned-trim") is { } t ? double.Parse(t, inv) : null;
        Console.WriteLine($"# detection-quality (scenario {scenario.Name}, seed {seed}, scale {scale.ToString(inv)}, block confirmations {confirmations})");
        Console.WriteLine();

        var world = new ScenarioWorld(scenario, seed);
        var iiotCount = (int)(120_000 * scale);
        var txCount = (int)(100_000 * scale);
        var blockCount = (int)(6_000 * scale);
        var clock = Stopwatch.StartNew();
        var readings = Take<DeviceReading>(world.Stream(ProducerDomains.Iiot), Topics.IiotTelemetry, 2 * iiotCount);
        var (blocks, transactions) = TakeChain(world, 2 * blockCount, 2 * txCount);
        Console.WriteLine(string.Create(inv, $"simulated {readings.Count + blocks.Count + transactions.Count} events in {clock.Elapsed.TotalSeconds:F1} s"));

        var iiotLayout = new BundleLayout
        {
            Stream = Topics.IiotTelemetry,
            Measurements = BundleLayout.WaterTreatmentMeasurements,
            Featurizer = new FeaturizerOptions { RelationStates = FeaturizerOptions.RelationStatesOr(Option(args, "--relation-states"), BundleLayout.WaterTreatmentStates) },
        };
        var sets = new List<DataSet>
        {
            Split("IIoT telemetry", iiotLayout, readings, iiotCount, NedWindow,
                static (l, e) => BundleTrainer.Featurize(l, e), static (s, e, o) => s.Score(e, o)),
            Split("chain transactions", new BundleLayout { Stream = Topics.ChainTransactions }, transactions, txCount, null,
                static (l, e) => BundleTrainer.Featurize(l, e), static (s, e, o) => s.Score(e, o)),
            Split("chain blocks", new BundleLayout { Stream = Topics.ChainBlocks, Confirmations = confirmations }, blocks, blockCount, null,
                static (l, e) => BundleTrainer.Featurize(l, e), static (s, e, o) => s.Score(e, o)),
        };

        var summary = new List<string>();
        var breakdown = new List<string>();
        foreach (var set in sets)
        {
            ct.ThrowIfCancellationRequested();
            if (only is not null && !set.Name.StartsWith(only, StringComparison.OrdinalIgnoreCase)) continue;
            var labels = set.TestLabels.Select(l => l != AttackLabels.Normal).ToArray();
            var attacks = set.TestLabels.Where(l => l != AttackLabels.Normal).GroupBy(l => l).OrderBy(g => g.Key, StringComparer.Ordinal);
            Console.WriteLine($"## {set.Name}: train {set.TrainCount} events ({set.Layout.FeatureDimension} features), test {set.TestLabels.Length} events, " +
                $"{labels.Count(l => l)} attack events ({string.Join(", ", attacks.Select(g => $"{g.Key} {g.Count()}"))})");
            var setNed = ned with
            {
                ResidualWeighting = weighting ?? NedOptions.ResidualWeightingFor(set.Layout.Stream),
                TrimFraction = trim ?? NedOptions.TrimFractionFor(set.Layout.Stream),
            };
            var runs = new List<(string Name, BundleLayout Layout, DetectorOptions Options)>
            {
                ("NED", set.Layout, setNed),
                ("Isolation Forest", set.Layout, new IsolationForestOptions { Seed = seed }),
                ("PCA-Mahalanobis", set.Layout, new PcaMahalanobisOptions { Seed = seed }),
                ("K-means", set.Layout, new KMeansOptions { Seed = seed }),
                ("CBLOF", set.Layout, new CblofOptions { Seed = seed }),
            };
            if (set.Window is { } w) runs.Insert(1, ($"NED (window w={w})", set.Layout with { SequenceLength = w }, setNed));
            if (set.Layout.Stream == Topics.IiotTelemetry)
            {
                // The tanks' mass balance (opt-in; docs/detection.md, "Mass balance"): the simulator's level and flow names.
                runs.Insert(1, ("NED (mass balance)", set.Layout with { Featurizer = set.Layout.Featurizer with { BalanceLevel = "level_m", BalanceFlow = "flow_m3h" } }, setNed));
            }

            var dumped = new List<(string Name, float[] Scores)>();
            ModelBundle? first = null, balanced = null;
            foreach (var (name, layout, options) in runs)
            {
                if (args.Contains("--ned-only") && !name.StartsWith("NED", StringComparison.Ordinal)) continue;
                ct.ThrowIfCancellationRequested();
                var fitClock = Stopwatch.StartNew();
                var bundle = BundleTrainer.Fit(layout, set.Featurize(layout), options, ct);
                var fitSeconds = fitClock.Elapsed.TotalSeconds;
                var scores = set.Score(bundle, set.TrainCount);
                if (args.Contains("--cold-start") && name == "NED" && set.Layout.Confirmations == 0) ColdStart(set, bundle, scores, labels);
                dumped.Add((name, scores));
                first ??= bundle;
                if (bundle.Balance is { } balance)
                {
                    balanced = bundle;
                    Console.WriteLine(string.Create(inv, $"  mass balance: {balance.Units} units, blame {string.Join("/", balance.Blame.Select(b => b.ToString("F2", inv)))}"));
                    foreach (var unit in balance.UnitKeys)
                    {
                        Console.WriteLine(string.Create(inv, $"    {unit}: area {balance.Area(unit):F3}, residual std {balance.ResidualStd(unit):F3}, flow signs {string.Join("/", balance.Signs(unit)!)}"));
                    }
                }
                var report = DetectionMetrics.Evaluate(scores, labels, bundle.Threshold);
                summary.Add(string.Create(inv, $"| {set.Name} | {name} | {report.RocAuc:F3} | {report.PrAuc:F3} | {report.F1:F3} | {report.Precision:F3} | {report.Recall:F3} | {report.FalsePositiveRate:F4} | {fitSeconds:F1} |"));
                var perAttack = AttackAuc.PerType(scores, set.TestLabels).Select(a => string.Create(inv, $"{a.Attack} {a.Auc:F3}"));
                breakdown.Add($"| {set.Name} | {name} | {string.Join(", ", perAttack)} |");
                Console.WriteLine(string.Create(inv, $"  {name,-22} ROC AUC {report.RocAuc:F3}  PR AUC {report.PrAuc:F3}  F1 {report.F1:F3}  fit {fitSeconds:F1}s"));
            }
            if (dumpDirectory is not null) Dump(dumpDirectory, set, dumped, first, balanced);
        }

        Console.WriteLine();
        Console.WriteLine("| data set | detector | ROC AUC | PR AUC | F1 @ threshold | precision | recall | FPR | fit s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        summary.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine("| data set | detector | ROC AUC per attack type (attack events vs all normal events) |");
        Console.WriteLine("|---|---|---|");
        breakdown.ForEach(Console.WriteLine);
        return Task.FromResult(0);
    }

    /// <summary><c>--cold-start</c>: what a scorer without per-entity context (an instance that takes over a partition,
    /// or restarts) alerts on, against the warm scorer of the table: false alerts among the first test events, and how
    /// many alert decisions differ from the warm scorer's when the scorer first sees only the last R training events.</summary>
    private static void ColdStart(DataSet set, ModelBundle bundle, float[] warm, bool[] labels)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var warmup in new[] { 0, 100, 250, 1000 })
        {
            var scores = set.Score(bundle, warmup);
            int falseFirst500 = 0, falseFirst5000 = 0, differing = 0;
            for (var i = 0; i < scores.Length; i++)
            {
                var alert = scores[i] > bundle.Threshold;
                if (alert != warm[i] > bundle.Threshold) differing++;
                if (alert && !labels[i] && i < 500) falseFirst500++;
                if (alert && !labels[i] && i < 5000) falseFirst5000++;
            }
            Console.WriteLine(string.Create(inv, $"    cold start, scorer first fed the last {warmup} training events: false alerts in the first 500 / 5000 test events {falseFirst500} / {falseFirst5000}; alert decisions differing from the warm scorer {differing}"));
        }
    }

    /// <summary><c>--dump DIR</c>: one CSV per data set for offline analysis. A row per test event: its label, its
    /// entity, every detector's score, then its features as training featurizes the training and test windows in one
    /// pass (the raw features, before standardisation; equal to what the warm scorer computed, see
    /// ConfirmedBlockScoringUnitTests for blocks), with IIoT's <c>rel</c> filled by the first bundle's relation model as
    /// the scorer fills it (the data set's layout), and for IIoT a last column <c>bal</c> as the mass-balance bundle's
    /// scorer fills it.</summary>
    private static void Dump(string directory, DataSet set, List<(string Name, float[] Scores)> scores, ModelBundle? first, ModelBundle? balanced)
    {
        var inv = CultureInfo.InvariantCulture;
        Directory.CreateDirectory(directory);
        var featurized = set.FeaturizeAll(set.Layout).WithRelations(first?.Relations);
        var names = set.Layout.FeatureNames;
        var dimension = set.Layout.FeatureDimension;
        // The balance's column from its own layout (one more column than the data set's).
        var withBalance = balanced is null ? null : set.FeaturizeAll(balanced.Layout).WithRelations(balanced.Relations).WithBalance(balanced.Balance);
        var balanceColumn = balanced is null ? -1 : balanced.Layout.FeatureNames.ToList().IndexOf("bal");
        var path = Path.Combine(directory, set.Name.Replace(' ', '-') + ".csv");
        using var writer = new StreamWriter(path);
        writer.WriteLine(string.Join(",", new[] { "label", "entity" }.Concat(scores.Select(s => s.Name.Replace(' ', '_').Replace(",", "", StringComparison.Ordinal))).Concat(names)
            .Concat(withBalance is null ? [] : ["bal"])));
        for (var i = 0; i < set.TestLabels.Length; i++)
        {
            var row = set.TrainCount + i;
            var fields = new List<string> { set.TestLabels[i], featurized.Entities[row].Replace(',', ';') };
            fields.AddRange(scores.Select(s => s.Scores[i].ToString("R", inv)));
            for (var f = 0; f < dimension; f++) fields.Add(featurized.Features[(row * dimension) + f].ToString("R", inv));
            if (withBalance is not null) fields.Add(withBalance.Features[(row * balanced!.Layout.FeatureDimension) + balanceColumn].ToString("R", inv));
            writer.WriteLine(string.Join(",", fields));
        }

        Console.WriteLine($"  wrote {path}");
    }

    private static DataSet Split<T>(string name, BundleLayout layout, List<(T Event, string Label)> events, int trainCount, int? window,
        Func<BundleLayout, IReadOnlyList<T>, FeaturizedEvents> featurize, Action<BundleScorer, IReadOnlyList<T>, Span<float>> score)
    {
        var train = events.Take(trainCount).Select(e => e.Event).ToList();
        var test = events.Skip(trainCount).Select(e => e.Event).ToList();
        var labels = events.Skip(trainCount).Select(e => e.Label).ToArray();
        // The scorer is warmed on the last `warmup` training events (all of them: as warm as a running processor; 0: a
        // cold start, as an instance that takes over a partition without its context), then scores the test window.
        return new DataSet(name, layout, train.Count, labels, window, l => featurize(l, train), l => featurize(l, events.Select(e => e.Event).ToList()), (bundle, warmup) =>
        {
            var scorer = bundle.CreateScorer();
            var recent = warmup >= train.Count ? train : train.GetRange(train.Count - warmup, warmup);
            score(scorer, recent, new float[recent.Count]);
            var scores = new float[test.Count];
            score(scorer, test, scores);
            return scores;
        });
    }

    private static List<(T Event, string Label)> Take<T>(IEnumerable<SimulatedMessage> stream, string topic, int count)
        where T : IAvroRecord<T>
    {
        var result = new List<(T, string)>(count);
        foreach (var message in stream)
        {
            if (message.Topic != topic) continue;
            result.Add((AvroSingleObject.Decode<T>(message.Value), message.Label ?? AttackLabels.Normal));
            if (result.Count == count) break;
        }

        return result;
    }

    private static (List<(BlockEvent, string)> Blocks, List<(TransactionEvent, string)> Transactions) TakeChain(ScenarioWorld world, int blocks, int transactions)
    {
        var b = new List<(BlockEvent, string)>(blocks);
        var t = new List<(TransactionEvent, string)>(transactions);
        foreach (var message in world.Stream(ProducerDomains.Chain))
        {
            var label = message.Label ?? AttackLabels.Normal;
            if (message.Topic == Topics.ChainBlocks && b.Count < blocks) b.Add((AvroSingleObject.Decode<BlockEvent>(message.Value), label));
            else if (message.Topic == Topics.ChainTransactions && t.Count < transactions) t.Add((AvroSingleObject.Decode<TransactionEvent>(message.Value), label));
            if (b.Count == blocks && t.Count == transactions) break;
        }

        return (b, t);
    }

    private static string FindDefaultScenario()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "producers", "scenarios", "default.json");
            if (File.Exists(candidate)) return candidate;
        }

        var local = Path.Combine(Directory.GetCurrentDirectory(), "producers", "scenarios", "default.json");
        if (File.Exists(local)) return local;
        throw new FileNotFoundException("producers/scenarios/default.json was not found above the bench's directory or in the current one; pass --scenario FILE.");
    }

    internal static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static int IntOption(string[] args, string name, int fallback) =>
        Option(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private sealed record DataSet(
        string Name, BundleLayout Layout, int TrainCount, string[] TestLabels, int? Window,
        Func<BundleLayout, FeaturizedEvents> Featurize, Func<BundleLayout, FeaturizedEvents> FeaturizeAll, Func<ModelBundle, int, float[]> Score);
}
