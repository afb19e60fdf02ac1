using System.Diagnostics;
using System.Globalization;
using Pipeline.Contracts;
using Pipeline.Detection;
using Pipeline.Federation;
using Pipeline.Platform;

namespace Pipeline.Bench.Federation;

/// <summary>
/// <c>federation</c> mode: (1) time for the coordinator to aggregate N NED updates (default 50) per strategy — the
/// strategy alone over decoded vectors, and the whole round close (signature check, payload decode, validation,
/// aggregation, bundle) — as the median of repeats; (2) bytes per participant per round with no compression, float16 and
/// int8, and the ROC AUC of the global model after R FedAvg rounds with each, on the same seeded scenario data; (3) the
/// relation residual <c>rel</c> under federation: ROC AUC per strategy after R rounds with <c>Federation:RelationResiduals</c>
/// off, on (each participant's own relation model in the bootstrap round, today's protocol) and on with the merged relation
/// model given to every participant at bootstrap (what a two-step bootstrap would do), on held-out readings of other
/// plants (the next seed, as FederationConvergenceTests) and of the same plants (the readings after the training windows,
/// both with 8 % attacks); (4) the IIoT federation over sliding local windows as <c>pipeline up</c> runs it, per round,
/// in-sample and on held-out readings of the same plants, against central NED (<see cref="SlidingWindowFederation"/>;
/// <c>--window-rounds</c>, <c>--stride</c>, <c>--holdout</c>, <c>--holdout-start</c>, <c>--window-seed</c>,
/// <c>--set Federation:Key=Value</c>); (5) a chain model's CBLOF federation over growing windows per CBLOF α, on held-out
/// events of the same chains (<see cref="ChainWindowFederation"/>; <c>--chain-stream</c>, <c>--chain-seed</c>,
/// <c>--chain-bootstrap</c>, <c>--chain-step</c>, <c>--chain-window</c>, <c>--chain-holdout-start</c>, <c>--chain-holdout</c>,
/// <c>--cblof-alphas</c>). <c>--sections</c> picks the parts (default <c>aggregation,compression,relations,windows</c>;
/// <c>chain</c> on request). Prints
/// figures; never passes or fails.
/// </summary>
public static class FederationBenchmark
{
    private static readonly string[] Strategies = ["fedavg", "median", "trimmed-mean", "krum"];

    public static Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var updates = Arg(args, "--updates", 50);
        var repeats = Arg(args, "--repeats", 21);
        var rounds = Arg(args, "--rounds", 5);
        var train = Arg(args, "--train", 1200);
        var test = Arg(args, "--test", 1200);
        var seed = Arg(args, "--seed", 2024);
        var hidden = StringArg(args, "--hidden", "32,8");
        var sections = StringArg(args, "--sections", "aggregation,compression,relations,windows").Split(',', StringSplitOptions.TrimEntries);
        Console.WriteLine($"federation benchmark: NED [{hidden}], seed {seed}, {Environment.ProcessorCount} logical cores, .NET {Environment.Version}");
        if (sections.Contains("aggregation")) AggregationTime(updates, repeats, hidden, seed, ct);
        if (sections.Contains("compression")) Compression(rounds, train, test, hidden, seed, ct);
        if (sections.Contains("relations")) Relations(Arg(args, "--relation-rounds", 10), train, test, seed, Arg(args, "--ned-seed", new FederationOptions().Seed), ct);
        if (sections.Contains("windows"))
        {
            SlidingWindowFederation.Run(args, Arg(args, "--window-rounds", 12), Arg(args, "--stride", 3000), Arg(args, "--holdout", 100_000),
                Arg(args, "--holdout-start", 100_000), Arg(args, "--window-seed", 42), ct);
        }
        if (sections.Contains("chain"))
        {
            var stream = StringArg(args, "--chain-stream", Topics.ChainBlocks);
            var blocks = stream == Topics.ChainBlocks; // transactions: about 70 per block
            var alphas = StringArg(args, "--cblof-alphas", "0.9,0.85,0.8").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(a => double.Parse(a, CultureInfo.InvariantCulture)).ToList();
            ChainWindowFederation.Run(args, stream, Arg(args, "--chain-seed", 42), Arg(args, "--chain-bootstrap", blocks ? 60 : 2000),
                Arg(args, "--chain-step", blocks ? 40 : 1000), Arg(args, "--chain-window", blocks ? 900 : 14_000),
                Arg(args, "--chain-holdout-start", blocks ? 1000 : 15_000), Arg(args, "--chain-holdout", blocks ? 300 : 5000), alphas, ct);
        }

        return Task.FromResult(0);
    }

    private static void AggregationTime(int count, int repeats, string hidden, int seed, CancellationToken ct)
    {
        // N participants: five scenario clusters, each split into N/5 windows of 240 readings; one local epoch each.
        var perCluster = (int)Math.Ceiling(count / 5.0);
        var data = ClusterTelemetry.Generate(5, perCluster * 240, seed, attackRate: 0.005);
        var clusters = data.Keys.Order(StringComparer.Ordinal).ToList();
        var local = Enumerable.Range(0, count).ToDictionary(
            i => $"p{i:D3}",
            i => data[clusters[i % 5]].Skip((i / 5) * 240).Take(240).Select(r => r.Reading).ToList());
        var options = new FederationOptions { HiddenLayers = hidden, LocalEpochs = 1, MinParticipants = 1, Seed = seed };
        using var federation = new InProcessFederation(options, local);
        var bootstrap = federation.Announce();
        var (first, firstBundle) = federation.Close(bootstrap, federation.Train(bootstrap), new FedAvgStrategy());
        if (first.Status != RoundStatus.Published) throw new InvalidOperationException($"bootstrap round {first.Status}: {first.Reason}");
        federation.Advance(firstBundle!);
        var announcement = federation.Announce();
        var messages = federation.Train(announcement);
        var (check, _) = federation.Close(announcement, messages, new FedAvgStrategy(), new NonceLedger());
        if (check.Accepted.Count != count) throw new InvalidOperationException($"{check.Accepted.Count} of {count} updates accepted: {string.Join("; ", check.Rejected.Select(r => r.Detail))}");
        var collector = new RoundCollector(announcement, federation.Global, options.Layout(), null, federation.Key, new NonceLedger(), 0);
        foreach (var message in messages) collector.Offer(Pipeline.Contracts.Avro.AvroSingleObject.Decode<ModelUpdate>(message), message.Length);
        var vectors = collector.Accepted.Select(a => new ParameterUpdate(a.Update.ParticipantId, a.Payload.Vector!, a.Update.SampleCount)).ToList();

        Console.WriteLine();
        Console.WriteLine($"aggregating {count} NED updates of {vectors[0].Parameters.Length:N0} parameters (median of {repeats} repeats, after 10 warm-ups)");
        Console.WriteLine("  strategy ms: the strategy over decoded vectors; round close ms: verify signatures, decode, validate, aggregate, build the bundle");
        Console.WriteLine($"{"strategy",-14} {"strategy ms",12} {"round close ms",15}");
        foreach (var name in Strategies)
        {
            ct.ThrowIfCancellationRequested();
            var strategy = AggregationStrategies.Create(name, 0.2, 1, 1);
            var strategyMs = Median(repeats, () =>
            {
                var outcome = strategy.Aggregate(vectors);
                if (!outcome.Succeeded) throw new InvalidOperationException($"{name}: {outcome.Failure}");
            });
            var closeMs = Median(repeats, () =>
            {
                var (result, _) = federation.Close(announcement, messages, strategy, new NonceLedger());
                if (result.Status != RoundStatus.Published) throw new InvalidOperationException($"{name}: {result.Status} {result.Reason}");
            });
            Console.WriteLine($"{name,-14} {strategyMs,12:F2} {closeMs,15:F2}");
        }
    }

    private static void Compression(int rounds, int train, int test, string hidden, int seed, CancellationToken ct)
    {
        var data = ClusterTelemetry.Generate(5, train, seed, attackRate: 0.005);
        var local = data.ToDictionary(p => FederationOptions.ParticipantIdFor(p.Key), p => p.Value.Select(r => r.Reading).ToList());
        var held = ClusterTelemetry.Generate(5, test, seed + 1, attackRate: 0.02).Values.SelectMany(v => v).ToList();
        var readings = held.Select(r => r.Reading).ToList();
        var labels = held.Select(r => r.Attack).ToArray();

        Console.WriteLine();
        Console.WriteLine($"compression: 5 participants x {train} readings, {rounds} FedAvg rounds (E 4, B 32, lr 0.03); held-out {readings.Count} readings of seed {seed + 1} ({labels.Count(l => l)} attacks)");
        Console.WriteLine("  bytes per participant per round: parameters = ModelUpdate.Parameters (NED vector as a delta to the base); message = the signed Avro ModelUpdate");
        Console.WriteLine("  round 1 (bootstrap) also carries the participant's standardizer and sends absolute values, always uncompressed");
        Console.WriteLine($"{"compression",-12} {"round-1 msg B",14} {"params B",9} {"x float32",10} {"message B",10} {"x float32",10} {"AUC",8} {"dAUC",8}  AUC by round");
        double? noneParams = null, noneMessage = null, noneAuc = null;
        foreach (var compression in new[] { "none", "float16", "int8" })
        {
            ct.ThrowIfCancellationRequested();
            var options = new FederationOptions { HiddenLayers = hidden, MinParticipants = 5, Compression = compression, Seed = seed };
            using var federation = new InProcessFederation(options, local);
            var bootstrapBytes = 0.0;
            var parameterBytes = new List<double>();
            var messageBytes = new List<double>();
            var aucs = new List<double>();
            for (var round = 1; round <= rounds; round++)
            {
                var announcement = federation.Announce();
                var (result, bundle) = federation.Close(announcement, federation.Train(announcement), new FedAvgStrategy());
                if (result.Status != RoundStatus.Published) throw new InvalidOperationException($"{compression} round {round}: {result.Status} {result.Reason}; rejected: {string.Join("; ", result.Rejected.Select(r => $"{r.Reason}: {r.Detail}"))}");
                federation.Advance(bundle!);
                var n = result.Accepted.Count;
                if (round == 1)
                {
                    bootstrapBytes = result.BytesReceived / (double)n;
                }
                else
                {
                    parameterBytes.Add(result.ParameterBytesAccepted / (double)n);
                    messageBytes.Add(result.BytesReceived / (double)n);
                }

                var scores = new float[readings.Count];
                bundle!.CreateScorer().Score(readings, scores);
                aucs.Add(DetectionMetrics.RocAuc(scores, labels));
            }

            var p = parameterBytes.Count > 0 ? parameterBytes.Average() : double.NaN;
            var m = messageBytes.Count > 0 ? messageBytes.Average() : double.NaN;
            noneParams ??= p;
            noneMessage ??= m;
            noneAuc ??= aucs[^1];
            Console.WriteLine($"{compression,-12} {bootstrapBytes,14:F0} {p,9:F0} {p / noneParams,10:F3} {m,10:F0} {m / noneMessage,10:F3} {aucs[^1],8:F4} {aucs[^1] - noneAuc,8:F4}  {string.Join(" ", aucs.Select(a => a.ToString("F4", CultureInfo.InvariantCulture)))}");
        }
    }

    // FederationConvergenceTests' federation (NED [16, 4], E 4, B 32, lr 0.03, feature window 8, five participants) with
    // and without rel, evaluated on two held-out sets; central = the same NED fitted for 12 epochs on the union of the windows.
    private static void Relations(int rounds, int train, int test, int seed, int nedSeed, CancellationToken ct)
    {
        var local = ClusterTelemetry.Generate(5, train, seed, attackRate: 0.005)
            .ToDictionary(p => FederationOptions.ParticipantIdFor(p.Key), p => p.Value.Select(r => r.Reading).ToList());

        // The same plants with the other set's 8 % attacks: a stage draws its tank area, inflow and pump rate first from
        // its own seeded stream, so the attack rate changes the episodes, not the plants.
        var samePlants = ClusterTelemetry.Generate(5, train + test, seed, attackRate: 0.02).Values.SelectMany(v => v.Skip(train)).ToList();
        var otherPlants = ClusterTelemetry.Generate(5, test, seed + 1, attackRate: 0.02).Values.SelectMany(v => v).ToList();
        (string Name, List<DeviceReading> Readings, bool[] Labels)[] sets =
        [
            ("other plants", [.. otherPlants.Select(r => r.Reading)], [.. otherPlants.Select(r => r.Attack)]),
            ("same plants", [.. samePlants.Select(r => r.Reading)], [.. samePlants.Select(r => r.Attack)]),
        ];
        double Auc(ModelBundle bundle, int set)
        {
            var scores = new float[sets[set].Readings.Count];
            bundle.CreateScorer().Score(sets[set].Readings, scores);
            return DetectionMetrics.RocAuc(scores, sets[set].Labels);
        }

        FederationOptions Options(string strategy, bool relations) => new()
        {
            ModelName = "iiot-ned-" + strategy,
            Strategy = strategy,
            HiddenLayers = "16,4",
            FeatureWindow = 8,
            LocalEpochs = 4,
            BatchSize = 32,
            LearningRate = 0.03,
            MinParticipants = 5,
            RelationResiduals = relations,
            Seed = nedSeed,
        };

        Console.WriteLine();
        Console.WriteLine($"relation residual under federation: 5 participants x {train} readings of seed {seed}, {rounds} rounds per strategy, NED [16, 4] (E 4, B 32, lr 0.03, seed {nedSeed})");
        Console.WriteLine($"  held-out: other plants = {test} readings per cluster of seed {seed + 1} ({sets[0].Labels.Count(l => l)} attacks of {sets[0].Labels.Length}); "
            + $"same plants = readings {train + 1}-{train + test} of each cluster of seed {seed} at the same attack rate ({sets[1].Labels.Count(l => l)} attacks of {sets[1].Labels.Length})");
        Console.WriteLine("  rel off; rel local = each participant fits its own relation model in the bootstrap round (the protocol today); "
            + "rel merged = every participant featurizes the bootstrap round with the merge of all participants' relation models");
        foreach (var relations in new[] { false, true })
        {
            var options = Options("fedavg", relations);
            var layout = options.Layout();
            var union = BundleTrainer.Featurize(layout, local.Values.SelectMany(v => v).ToList());
            var central = BundleTrainer.Fit(layout, union, options.DetectorOptions(12, options.BatchSize, options.LearningRate), ct);
            Console.WriteLine($"  central NED, rel {(relations ? "on " : "off")}: other plants {Auc(central, 0):F4}, same plants {Auc(central, 1):F4}");
            if (!relations) continue;

            // How far the held-out readings lie from the relation model fitted on the training plants: quantiles of the
            // standardised rel column (as the detector sees it) under the central bundle, over normal readings only.
            var column = layout.FeatureNames.ToList().IndexOf("rel");
            string Quantiles(FeaturizedEvents events, bool[]? labels = null)
            {
                var inputs = events.ToInputs(central);
                var values = Enumerable.Range(0, inputs.Rows).Where(r => labels is null || !labels[r])
                    .Select(r => inputs.Values[(r * layout.InputDimension) + column]).Order().ToArray();
                return string.Join(" / ", new[] { 0.5, 0.9, 0.99, 1.0 }.Select(q => values[Math.Min(values.Length - 1, (int)(q * values.Length))].ToString("F2", CultureInfo.InvariantCulture)));
            }

            Console.WriteLine($"  standardised rel of normal readings under the central relation model, median / 90th / 99th percentile / max: training windows {Quantiles(union)}; "
                + $"other plants {Quantiles(BundleTrainer.Featurize(layout, sets[0].Readings), sets[0].Labels)}; same plants {Quantiles(BundleTrainer.Featurize(layout, sets[1].Readings), sets[1].Labels)}");
        }

        Console.WriteLine($"{"variant",-12} {"strategy",-13} {"other final",12} {"same final",11}  AUC by round (other plants | same plants)");
        foreach (var variant in new[] { "rel off", "rel local", "rel merged" })
        {
            foreach (var strategy in Strategies)
            {
                ct.ThrowIfCancellationRequested();
                var options = Options(strategy, variant != "rel off");
                var layout = options.Layout();
                var merged = variant == "rel merged"
                    ? RelationModel.Merge([.. local.Values.Select(v => BundleTrainer.Featurize(layout, v).FitRelations()!)])
                    : null;
                using var federation = new InProcessFederation(options, local) { BootstrapRelations = merged };
                var aucs = new List<(double Other, double Same)>();
                for (var round = 1; round <= rounds; round++)
                {
                    var announcement = federation.Announce();
                    var (result, bundle) = federation.Close(announcement, federation.Train(announcement), options.CreateStrategy());
                    if (result.Status != RoundStatus.Published) throw new InvalidOperationException($"{variant} {strategy} round {round}: {result.Status} {result.Reason}");
                    federation.Advance(bundle!);
                    aucs.Add((Auc(bundle!, 0), Auc(bundle!, 1)));
                }

                Console.WriteLine($"{variant,-12} {strategy,-13} {aucs[^1].Other,12:F4} {aucs[^1].Same,11:F4}  "
                    + $"{string.Join(" ", aucs.Select(a => a.Other.ToString("F3", CultureInfo.InvariantCulture)))} | {string.Join(" ", aucs.Select(a => a.Same.ToString("F3", CultureInfo.InvariantCulture)))}");
            }
        }
    }

    private static double Median(int repeats, Action action)
    {
        for (var i = 0; i < 10; i++) action(); // warm-up: tier-1 JIT of the hot loops
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return times[repeats / 2];
    }

    /// <summary>The <c>--set Federation:Key=Value</c> arguments, and the federation options they give (not validated).</summary>
    internal static (FederationOptions Options, List<string> Sets) Settings(string[] args)
    {
        var sets = new List<string>();
        for (var i = 0; i + 1 < args.Length; i++) if (args[i] == "--set") sets.Add(args[i + 1]);
        return (PipelineConfiguration.Build(sets).Bind<FederationOptions>("Federation"), sets);
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    private static string StringArg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
