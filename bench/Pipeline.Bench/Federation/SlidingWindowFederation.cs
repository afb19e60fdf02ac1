using System.Globalization;
using Pipeline.Bench.Detection;
using Pipeline.Contracts;
using Pipeline.Detection;
using Pipeline.Federation;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Federation;

/// <summary>
/// <c>federation --sections windows</c>: the iiot.telemetry federation as <c>pipeline up</c> runs it, without Kafka. The
/// default scenario's clusters are the participants; each round's local window is the cluster's last LocalWindow readings,
/// and between training rounds every window moves on by <c>--stride</c> readings (about what a cluster produces during a
/// training round and its calibration round at <c>pipeline up</c>'s default rate). After each round it prints the global
/// model's ROC AUC in-sample (on the participants' windows, what <c>pipeline up</c> publishes) and on held-out readings of
/// the same plants (<c>--holdout</c> per cluster from reading <c>--holdout-start</c> on, after every training window), per
/// attack type; then the central NED (detection-quality's options) fitted on the union of the first windows, scored on the
/// same held-out readings. Federation settings come from <c>--set Federation:Key=Value</c> (defaults: FederationOptions).
/// </summary>
internal static class SlidingWindowFederation
{
    public static void Run(string[] args, int rounds, int stride, int holdout, int holdoutStart, int seed, CancellationToken ct)
    {
        var (options, sets) = FederationBenchmark.Settings(args);
        options.Validate();
        if (options.Stream != Topics.IiotTelemetry || options.Kind != DetectorKind.Ned)
        {
            throw new ArgumentException($"--sections windows replays an iiot.telemetry NED federation; the settings give {options.Stream} {options.Detector}.");
        }

        var window = options.LocalWindow;
        if (holdoutStart < window + ((rounds - 1) * stride)) throw new ArgumentException($"--holdout-start {holdoutStart} overlaps the last training window (ends at reading {window + ((rounds - 1) * stride)}).");

        var firstTrim = ((NedOptions)options.DetectorOptions(1, 1, 1)).TrimFraction;
        var data = ClusterTelemetry.Generate(new ScenarioWorld(ScenarioLoader.Default, seed), holdoutStart + holdout);
        var (heldReadings, heldLabels) = Slice(data, holdoutStart, holdout);
        Console.WriteLine();
        Console.WriteLine($"sliding-window federation (iiot.telemetry, default scenario, seed {seed}): {data.Count} participants, window {window:N0}, stride {stride:N0}, " +
            $"{rounds} training rounds; rel {(options.RelationResiduals ? "on" : "off")}, NED trim first fit {firstTrim:0.###}, " +
            $"later rounds {options.NedRoundTrim:0.###}; held-out: {holdout:N0} readings per cluster from reading {holdoutStart:N0} ({heldLabels.Count(l => l != AttackLabels.Normal):N0} attacks)");
        if (sets.Count > 0) Console.WriteLine($"  settings: {string.Join(" ", sets)}");
        Console.WriteLine($"{"round",5} {"in-sample",10} {"held-out",9}  held-out by attack (readings: AUC)");
        var held = new List<double>();
        using var federation = new InProcessFederation(options, Windows(data, 0, window));
        for (var round = 0; round < rounds; round++)
        {
            ct.ThrowIfCancellationRequested();
            if (round > 0) federation.Slide(Windows(data, round * stride, window));
            var announcement = federation.Announce();
            var (result, bundle) = federation.Close(announcement, federation.Train(announcement), options.CreateStrategy());
            if (bundle is null) throw new InvalidOperationException($"round {round + 1}: {result.Status} {result.Reason}");
            federation.Advance(bundle);
            var inSample = InSample(bundle, data, round * stride, window, options.Contamination);
            var (auc, byAttack) = Evaluate(bundle, heldReadings, heldLabels);
            held.Add(auc);
            Console.WriteLine($"{round + 1,5} {inSample,10:F3} {auc,9:F3}  {byAttack}");
        }

        var layout = options.Layout();
        var central = BundleTrainer.Fit(layout, BundleTrainer.Featurize(layout, data.Values.SelectMany(v => v.Take(window).Select(x => x.Reading)).ToList()),
            new NedOptions { ResidualWeighting = NedOptions.ResidualWeightingFor(layout.Stream), TrimFraction = NedOptions.TrimFractionFor(layout.Stream) }, ct);
        var (centralAuc, centralByAttack) = Evaluate(central, heldReadings, heldLabels);
        Console.WriteLine($"{"central",5} {"",10} {centralAuc,9:F3}  {centralByAttack}   (NED defaults on the union of the first windows)");
        var half = held.Skip(held.Count / 2).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out ROC AUC: round 1 {held[0]:F3}, last {held[^1]:F3}, mean of the last {half.Count} rounds {half.Average():F3} (min {half.Min():F3}); central {centralAuc:F3}"));
    }

    private static Dictionary<string, List<DeviceReading>> Windows(Dictionary<string, List<(DeviceReading Reading, string Label)>> data, int start, int window) =>
        data.ToDictionary(p => FederationOptions.ParticipantIdFor(p.Key), p => p.Value.Skip(start).Take(window).Select(x => x.Reading).ToList());

    private static (List<List<DeviceReading>> Readings, List<string> Labels) Slice(Dictionary<string, List<(DeviceReading Reading, string Label)>> data, int start, int count)
    {
        var slices = data.Values.Select(v => v.Skip(start).Take(count).ToList()).ToList();
        return (slices.Select(s => s.Select(x => x.Reading).ToList()).ToList(), slices.SelectMany(s => s.Select(x => x.Label)).ToList());
    }

    // The published in-sample auc: each participant's calibration measure of its window, combined as the coordinator does.
    private static double InSample(ModelBundle bundle, Dictionary<string, List<(DeviceReading Reading, string Label)>> data, int start, int window, double contamination)
    {
        var reports = data.Values.Select(list =>
        {
            var slice = list.Skip(start).Take(window).ToList();
            return WindowEvaluation.Measure(Score(bundle, [slice.Select(x => x.Reading).ToList()]), slice.Select(x => (string?)x.Label).ToList(), contamination);
        });
        return WindowEvaluation.Aggregate(reports, bundle.Threshold).FirstOrDefault(m => m.Name == WindowEvaluation.AucMetric)?.Value ?? double.NaN;
    }

    private static (double Auc, string ByAttack) Evaluate(ModelBundle bundle, List<List<DeviceReading>> readings, List<string> labels)
    {
        var scores = Score(bundle, readings);
        var auc = DetectionMetrics.RocAuc(scores, labels.Select(l => l != AttackLabels.Normal).ToArray());
        var byAttack = AttackAuc.PerType(scores, labels).Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Attack} {a.Events}: {a.Auc:F3}"));
        return (auc, string.Join(", ", byAttack));
    }

    // Scores each cluster's readings in order with a scorer of its own, as that cluster's processor would.
    private static float[] Score(ModelBundle bundle, List<List<DeviceReading>> clusters)
    {
        var scores = new float[clusters.Sum(c => c.Count)];
        var at = 0;
        foreach (var readings in clusters)
        {
            bundle.CreateScorer().Score(readings, scores.AsSpan(at, readings.Count));
            at += readings.Count;
        }

        return scores;
    }
}
