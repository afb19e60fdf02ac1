using System.Globalization;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Federation;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Federation;

/// <summary>
/// <c>federation --sections chain</c>: a chain model's CBLOF federation as <c>pipeline up</c> runs it, without Kafka, for
/// each CBLOF α in <c>--cblof-alphas</c> (<c>--chain-stream</c> chain.blocks, the default, or chain.transactions). The
/// default scenario's clusters are the participants, each with its own chain's events; the bootstrap standardizer is merged
/// from the first <c>--chain-bootstrap</c> events of each (as the bootstrap round merges the participants'), and each round
/// every participant refits CBLOF on all its events so far (windows grow by <c>--chain-step</c> up to
/// <c>--chain-window</c>, as a chain's window does in a run) with the federation's detector options, and the coordinator's
/// merge (<see cref="FederatedAggregator"/>, the call <see cref="RoundAggregator"/> makes for CBLOF) gives the global model.
/// Each round's model is scored on held-out events of the same chains (<c>--chain-holdout</c> per chain from event
/// <c>--chain-holdout-start</c>, featurized with the whole chain before them as context); it prints the ROC AUC per round,
/// their mean and minimum, the rounds below 0.97 and each round's large clusters. The protocol's messages (signatures,
/// Avro) and the threshold do not change these figures and are left out. <c>--set Federation:Key=Value</c> applies to every α.
/// </summary>
internal static class ChainWindowFederation
{
    public static void Run(string[] args, string stream, int seed, int bootstrap, int step, int window, int holdoutStart, int holdout, IReadOnlyList<double> alphas, CancellationToken ct)
    {
        if (stream == Topics.ChainBlocks)
        {
            Run<BlockEvent>(args, stream, seed, bootstrap, step, window, holdoutStart, holdout, alphas, static b => b.ClusterId, BundleTrainer.Featurize, ct);
        }
        else if (stream == Topics.ChainTransactions)
        {
            Run<TransactionEvent>(args, stream, seed, bootstrap, step, window, holdoutStart, holdout, alphas, static t => t.ClusterId, BundleTrainer.Featurize, ct);
        }
        else
        {
            throw new ArgumentException($"--chain-stream must be {Topics.ChainBlocks} or {Topics.ChainTransactions}, not '{stream}'.");
        }
    }

    private static void Run<T>(string[] args, string stream, int seed, int bootstrap, int step, int window, int holdoutStart, int holdout, IReadOnlyList<double> alphas,
        Func<T, string> chainOf, Func<BundleLayout, IReadOnlyList<T>, FeaturizedEvents> featurize, CancellationToken ct)
        where T : IAvroRecord<T>
    {
        var (options, sets) = FederationBenchmark.Settings(args);
        options.Stream = stream;
        options.Detector = "cblof";
        options.Validate();
        if (bootstrap < 2 || step < 1 || window < bootstrap || holdoutStart < window || holdout < 1)
        {
            throw new ArgumentException("--chain-bootstrap ≤ --chain-window ≤ --chain-holdout-start, a positive --chain-step and --chain-holdout are required.");
        }

        var chains = ClusterTelemetry.PerCluster(new ScenarioWorld(ScenarioLoader.Default, seed), ProducerDomains.Chain, stream, holdoutStart + holdout, chainOf);
        var layout = options.Layout();
        var ids = chains.Keys.Order(StringComparer.Ordinal).ToList();
        var standardizer = RunningStandardizer.Merge([.. ids.Select(c => featurize(layout, First(chains[c], bootstrap)).FitStandardizer())]);
        var held = ids.Select(c => featurize(layout, First(chains[c], holdoutStart + holdout)).ToInputs(standardizer)).ToList();
        var heldLabels = ids.SelectMany(c => chains[c].Skip(holdoutStart).Take(holdout).Select(e => e.Label != AttackLabels.Normal)).ToArray();
        var sizes = new List<int>();
        for (var n = bootstrap; n <= window; n += step) sizes.Add(n);
        var windows = sizes.Select(n => ids.Select(c => featurize(layout, First(chains[c], n)).ToInputs(standardizer)).ToList()).ToList();

        Console.WriteLine();
        Console.WriteLine($"{stream} CBLOF federation over growing windows (default scenario, seed {seed}): {ids.Count} participants " +
            $"({string.Join(", ", ids.Select(c => $"{c} {chains[c].Count:N0} events"))}), bootstrap standardizer from {bootstrap:N0} events each, " +
            $"windows {bootstrap:N0}..{window:N0} step {step:N0} ({sizes.Count} rounds); held-out: events {holdoutStart:N0}..{holdoutStart + holdout - 1:N0} " +
            $"of each chain ({heldLabels.Count(a => a):N0} attacks of {heldLabels.Length:N0})");
        if (sets.Count > 0) Console.WriteLine($"  settings: {string.Join(" ", sets)}");
        foreach (var alpha in alphas)
        {
            ct.ThrowIfCancellationRequested();
            options.CblofAlpha = alpha;
            options.Validate();
            var detectorOptions = BundleTrainer.ForLayout(options.DetectorOptions(options.LocalEpochs, options.BatchSize, options.LearningRate), layout);
            var aucs = new List<double>();
            var large = new List<int>();
            foreach (var round in windows)
            {
                var updates = round.Select(x => (BundleTrainer.FitDetector(x, detectorOptions, ct).Serialize(), (long)x.Rows)).ToList();
                var global = (CblofDetector)FederatedAggregator.Aggregate(updates, DetectorKind.Cblof, options.Seed);
                aucs.Add(DetectionMetrics.RocAuc(HeldOutScores(global, held, holdoutStart, holdout), heldLabels));
                large.Add(global.LargeClusters);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  alpha {alpha:0.###}: held-out ROC AUC mean {aucs.Average():F4}, min {aucs.Min():F3}, rounds below 0.97: {aucs.Count(a => a < 0.97)} of {aucs.Count}"));
            Console.WriteLine($"    per round: {string.Join(" ", aucs.Select(a => a.ToString("F3", CultureInfo.InvariantCulture)))}");
            Console.WriteLine($"    large clusters: {string.Join(" ", large)}");
        }
    }

    private static List<T> First<T>(List<(T Event, string Label)> chain, int count) => [.. chain.Take(count).Select(e => e.Event)];

    // Each chain's held-out events, scored with the context of everything before them on that chain.
    private static float[] HeldOutScores(IAnomalyDetector detector, List<FeatureMatrix> chains, int start, int count)
    {
        var scores = new float[chains.Count * count];
        for (var c = 0; c < chains.Count; c++)
        {
            var all = new float[chains[c].Rows];
            detector.Score(chains[c].Values, all);
            all.AsSpan(start, count).CopyTo(scores.AsSpan(c * count, count));
        }

        return scores;
    }
}
