using Pipeline.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Detection;

/// <summary>
/// Fits <see cref="ModelBundle"/>s from events: featurize in event order, fit the standardizer, build (windowed)
/// standardised input rows, fit the detector chosen by the options type. Participants use the same steps on their
/// local window; tests and benchmarks use <see cref="Fit(BundleLayout, FeaturizedEvents, DetectorOptions, CancellationToken)"/>
/// on the union of all data as the "central" baseline.
/// </summary>
/// <remarks>Pure apart from TorchSharp training for NED (single-threaded for reproducibility); thread-safe.</remarks>
public static class BundleTrainer
{
    /// <summary>Featurizes IIoT readings in order with a fresh featurizer.</summary>
    public static FeaturizedEvents Featurize(BundleLayout layout, IReadOnlyList<DeviceReading> events) =>
        Featurize(layout, events, static (f, e, s) => f.Featurize(e, s));

    /// <summary>
    /// Featurizes blocks in order with a fresh featurizer. With confirmations (k &gt; 0) each row also gets its
    /// look-ahead features, from the next k blocks of its chain in <paramref name="events"/> (fewer at the end): the
    /// rule a scorer applies when it releases a held block.
    /// </summary>
    public static FeaturizedEvents Featurize(BundleLayout layout, IReadOnlyList<BlockEvent> events)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Confirmations == 0) return Featurize(layout, events, static (f, e, s) => f.Featurize(e, s));
        ArgumentNullException.ThrowIfNull(events);
        var featurizer = layout.CreateFeaturizer();
        var features = new float[events.Count * featurizer.Dimension];
        featurizer.FeaturizeSequence(events, features);
        return new FeaturizedEvents(layout, features, [.. events.Select(e => e.ClusterId)], [], []);
    }

    /// <summary>Featurizes transactions in order with a fresh featurizer.</summary>
    public static FeaturizedEvents Featurize(BundleLayout layout, IReadOnlyList<TransactionEvent> events) =>
        Featurize(layout, events, static (f, e, s) => f.Featurize(e, s));

    /// <summary>
    /// Fits a complete bundle: standardizer on <paramref name="events"/>, detector of the kind that
    /// <paramref name="options"/> configures (<see cref="NedOptions"/>, <see cref="IsolationForestOptions"/>,
    /// <see cref="PcaMahalanobisOptions"/>, <see cref="KMeansOptions"/>, <see cref="CblofOptions"/>) on the input rows.
    /// </summary>
    public static ModelBundle Fit(BundleLayout layout, FeaturizedEvents events, DetectorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Layout != layout) throw new ArgumentException("The events were featurized with a different layout.", nameof(events));
        var relations = events.FitRelations();
        events = events.WithRelations(relations);
        var balance = events.FitBalance();
        events = events.WithBalance(balance);
        var standardizer = events.FitStandardizer();
        var detector = FitDetector(events.ToInputs(standardizer), ForLayout(options, layout), cancellationToken);
        return new ModelBundle(layout, standardizer, detector, relations, balance);
    }

    /// <summary>
    /// <paramref name="options"/> as a bundle of <paramref name="layout"/> passes them to its detector: a NED of a layout
    /// with relation residuals is told which of its inputs are the <c>rel</c> (and <c>bal</c>) features, one per sequence position
    /// (<see cref="NedOptions.ResidualColumns"/>). Every other case returns <paramref name="options"/>.
    /// </summary>
    public static DetectorOptions ForLayout(DetectorOptions options, BundleLayout layout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(layout);
        if (options is not NedOptions ned || !layout.HasRelations) return options;
        var d = layout.FeatureDimension;
        var names = layout.FeatureNames.ToList();
        int[] columns = layout.HasBalance
            ? [names.IndexOf(DeviceReadingFeaturizer.RelationFeature), names.IndexOf(DeviceReadingFeaturizer.BalanceFeature)]
            : [names.IndexOf(DeviceReadingFeaturizer.RelationFeature)];
        return ned with { ResidualColumns = [.. ned.ResidualColumns.Union(Enumerable.Range(0, layout.SequenceLength).SelectMany(p => columns.Select(c => (p * d) + c)))] };
    }

    /// <summary>Fits a detector of the kind <paramref name="options"/> configures.</summary>
    /// <exception cref="ArgumentException">An options type no detector accepts.</exception>
    public static IAnomalyDetector FitDetector(FeatureMatrix inputs, DetectorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        return options switch
        {
            NedOptions ned => NedDetector.Fit(inputs, ned, cancellationToken),
            IsolationForestOptions forest => IsolationForestDetector.Fit(inputs, forest),
            PcaMahalanobisOptions pca => PcaMahalanobisDetector.Fit(inputs, pca),
            KMeansOptions kmeans => KMeansDetector.Fit(inputs, kmeans),
            CblofOptions cblof => CblofDetector.Fit(inputs, cblof),
            _ => throw new ArgumentException($"No detector takes options of type {options.GetType().Name}.", nameof(options)),
        };
    }

    /// <summary>The detector kind that <paramref name="options"/> configures.</summary>
    public static DetectorKind KindOf(DetectorOptions options) => options switch
    {
        NedOptions => DetectorKind.Ned,
        IsolationForestOptions => DetectorKind.IsolationForest,
        PcaMahalanobisOptions => DetectorKind.PcaMahalanobis,
        KMeansOptions => DetectorKind.KMeans,
        CblofOptions => DetectorKind.Cblof,
        _ => throw new ArgumentException($"No detector takes options of type {options?.GetType().Name ?? "null"}.", nameof(options)),
    };

    /// <summary>
    /// Continues training <paramref name="start"/> (e.g. the announced global NED) on <paramref name="inputs"/> for
    /// <see cref="NedOptions.Epochs"/> epochs of mini-batch SGD (batch <see cref="NedOptions.BatchSize"/>, rate
    /// <see cref="NedOptions.LearningRate"/>, momentum <see cref="NedOptions.Momentum"/>), keeping its layer shape and
    /// input standardisation, its training support (local rows are clamped to it) and its per-feature error weights, which is what federated averaging needs (the weights
    /// come from the participants' first fits and travel in the parameter vector; re-estimating them from a small local
    /// window made them noisy enough that median and Krum, which keep one participant's value per coordinate, lost
    /// 0.05 AUC in the robust-aggregation test); the threshold is recalibrated on the local rows at
    /// <see cref="DetectorOptions.Contamination"/>. With <see cref="NedOptions.TrimFraction"/> &gt; 0 the epochs skip
    /// that share of the local rows, those <paramref name="start"/> reconstructs worst.
    /// </summary>
    /// <exception cref="ArgumentException">The input width differs from the model's dimension.</exception>
    public static NedDetector ContinueNed(NedDetector start, FeatureMatrix inputs, NedOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (inputs.Columns != start.Dimension) throw new ArgumentException($"The model takes {start.Dimension} features, the inputs have {inputs.Columns}.", nameof(inputs));
        var sizes = start.LayerSizes.ToArray();
        var weights = start.Weights.Select(w => (float[])w.Clone()).ToArray();
        var biases = start.Biases.Select(b => (float[])b.Clone()).ToArray();
        var training = options.TrimFraction > 0 ? inputs.Select(start.BestReconstructed(inputs, options.TrimFraction)) : inputs;
        var standardised = new float[training.Values.Length];
        NedDetector.Standardise(training.Values, standardised, start.InputMean, start.InputScale, start.Lower, start.Upper);

        TorchTraining.TrainAutoencoder(standardised, training.Rows, sizes, weights, biases, options with { Activation = start.Activation }, new Random(options.Seed), cancellationToken);
        var model = new NedDetector(sizes, weights, biases, start.InputMean, start.InputScale, start.Activation, double.PositiveInfinity, inputs.Rows, start.LogErrorWeights, start.Lower, start.Upper);

        var scores = new float[inputs.Rows];
        model.Score(inputs.Values, scores);
        return (NedDetector)model.WithThreshold(ThresholdCalibrator.FromContamination(scores, options.Contamination));
    }

    private static FeaturizedEvents Featurize<T>(BundleLayout layout, IReadOnlyList<T> events, Func<StreamFeaturizer, T, Span<float>, string> featurize)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(events);
        var featurizer = layout.CreateFeaturizer();
        var d = featurizer.Dimension;
        var features = new float[events.Count * d];
        var entities = new string[events.Count];
        var k = layout.HasRelations ? layout.Measurements.Count : 0;
        var ownSlots = new sbyte[events.Count * k];
        var units = new string[layout.HasRelations ? events.Count : 0];
        for (var i = 0; i < events.Count; i++)
        {
            entities[i] = featurize(featurizer, events[i], features.AsSpan(i * d, d));
            if (k > 0) featurizer.OwnSlots.CopyTo(ownSlots.AsSpan(i * k, k));
            if (units.Length > 0) units[i] = featurizer.LastUnit;
        }

        return new FeaturizedEvents(layout, features, entities, ownSlots, units);
    }
}
