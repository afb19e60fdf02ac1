using System.Globalization;
using Pipeline.Contracts;
using Pipeline.Detection;
using Pipeline.Federation;
using Pipeline.Platform;
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
        var sets = new List<string>();
        for (var i = 0; i + 1 < args.Length; i++) if (args[i] == "--set") sets.Add(args[i + 1]);
        var options = PipelineConfiguration.Build(sets).Bind<FederationOptions>("Federation");
        options.Validate();
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
            var inSample = InSample(bundle, data, round * stride, window);
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

    // The calibration reports' AUC: each participant's window featurized on its own, weighted by its labelled events.
    private static double InSample(ModelBundle bundle, Dictionary<string, List<(DeviceReading Reading, string Label)>> data, int start, int window)
    {
        double sum = 0, weight = 0;
        foreach (var list in data.Values)
        {
            var slice = list.Skip(start).Take(window).ToList();
            var auc = DetectionMetrics.RocAuc(Score(bundle, [slice.Select(x => x.Reading).ToList()]), slice.Select(x => x.Label != AttackLabels.Normal).ToArray());
            if (!double.IsFinite(auc)) continue;
            sum += auc * slice.Count;
            weight += slice.Count;
        }

        return weight > 0 ? sum / weight : double.NaN;
    }

    private static (double Auc, string ByAttack) Evaluate(ModelBundle bundle, List<List<DeviceReading>> readings, List<string> labels)
    {
        var scores = Score(bundle, readings);
        var auc = DetectionMetrics.RocAuc(scores, labels.Select(l => l != AttackLabels.Normal).ToArray());
        var byAttack = labels.Where(l => l != AttackLabels.Normal).Distinct().Order(StringComparer.Ordinal).Select(attack =>
        {
            var rows = Enumerable.Range(0, labels.Count).Where(i => labels[i] == AttackLabels.Normal || labels[i] == attack).ToArray();
            var value = DetectionMetrics.RocAuc(rows.Select(i => scores[i]).ToArray(), rows.Select(i => labels[i] == attack).ToArray());
            return string.Create(CultureInfo.InvariantCulture, $"{attack} {rows.Count(i => labels[i] == attack)}: {value:F3}");
        });
        return (auc, string.Join(", ", byAttack));
    }

    // Scores each cluster's readings in order with a fresh featurizer per cluster, as that cluster's processor would.
    private static float[] Score(ModelBundle bundle, List<List<DeviceReading>> clusters)
    {
        var all = new List<float>();
        foreach (var readings in clusters)
        {
            var inputs = BundleTrainer.Featurize(bundle.Layout, readings).ToInputs(bundle);
            var scores = new float[inputs.Rows];
            bundle.Detector.Score(inputs.Values, scores);
            all.AddRange(scores);
        }

        return [.. all];
    }
}
