using System.Diagnostics;
using System.Security.Cryptography;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation;

/// <summary>
/// One participant's local step of a round: start from the announced global model (or, in the bootstrap round, from
/// the shared seed), train on the local window — NED continues from the global weights for E epochs with batch B and
/// rate η, without the local rows the global model reconstructs worst (<see cref="FederationOptions.NedRoundTrim"/>); the
/// other detectors refit on local data — and produce a signed <see cref="ModelUpdate"/>.
/// </summary>
/// <remarks>Pure apart from the clock and the random nonce; thread-safe.</remarks>
public static class ParticipantTrainer
{
    /// <summary>Trains on <paramref name="local"/> and returns the signed update and the local model.</summary>
    /// <exception cref="ArgumentException">The base model does not match the announcement.</exception>
    public static (ModelUpdate Update, ModelBundle Local) Train(RoundAnnouncement announcement, ModelBundle? baseBundle, FeaturizedEvents local,
        FederationOptions options, string participantId, string clusterId, ECDsa key, DateTimeOffset now, CancellationToken cancellationToken) =>
        Train(announcement, baseBundle, local, options, participantId, clusterId, key, now, bootstrapRelations: null, cancellationToken);

    /// <summary>
    /// <see cref="Train(RoundAnnouncement, ModelBundle?, FeaturizedEvents, FederationOptions, string, string, ECDsa, DateTimeOffset, CancellationToken)"/>,
    /// but a bootstrap round (no base model) featurizes with <paramref name="bootstrapRelations"/> instead of a relation
    /// model fitted to the local window — what a two-step bootstrap (relation statistics merged first) would give the
    /// participants. A measurement hook only (bench federation, relations section): the update still carries that model as
    /// its statistics, so the coordinator's merge holds it once per participant (the same fit, counts multiplied).
    /// </summary>
    internal static (ModelUpdate Update, ModelBundle Local) Train(RoundAnnouncement announcement, ModelBundle? baseBundle, FeaturizedEvents local,
        FederationOptions options, string participantId, string clusterId, ECDsa key, DateTimeOffset now, RelationModel? bootstrapRelations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        var watch = Stopwatch.StartNew();
        var kind = DetectorKinds.Parse(announcement.DetectorKind);
        var relations = baseBundle is null ? (bootstrapRelations ?? local.FitRelations()) : baseBundle.Relations;
        local = local.WithRelations(relations);
        var balance = baseBundle is null ? local.FitBalance() : baseBundle.Balance;
        local = local.WithBalance(balance);
        var standardizer = baseBundle?.Standardizer ?? local.FitStandardizer();
        var inputs = local.ToInputs(standardizer);
        var detectorOptions = options.DetectorOptions(announcement.LocalEpochs, announcement.BatchSize, announcement.LearningRate);
        IAnomalyDetector model;
        if (kind == DetectorKind.Ned && baseBundle?.Detector is NedDetector start)
        {
            model = BundleTrainer.ContinueNed(start, inputs, (NedOptions)detectorOptions with { TrimFraction = options.NedRoundTrim }, cancellationToken);
        }
        else
        {
            if (BundleTrainer.KindOf(detectorOptions) != kind) throw new ArgumentException($"Round {announcement.Round} trains {kind}, the options configure {BundleTrainer.KindOf(detectorOptions)}.");
            model = BundleTrainer.FitDetector(inputs, BundleTrainer.ForLayout(detectorOptions, local.Layout), cancellationToken);
        }

        var scores = new float[inputs.Rows];
        model.Score(inputs.Values, scores);
        var baseVector = baseBundle?.Detector is NedDetector baseNed ? NedParameters.Flatten(baseNed) : null;
        // Compression applies to a later round's delta to the global vector. A bootstrap update is absolute and holds
        // the unbounded training support (float.MinValue/MaxValue), which float16 and int8 cannot carry: it goes as is.
        var compression = model is NedDetector && baseVector is not null ? options.CompressionKind : UpdateCompression.None;
        var payload = UpdatePayload.ForDetector(model, baseBundle is null ? standardizer : null, baseBundle is null ? relations : null, baseBundle is null ? balance : null)
            .Encode(compression, baseVector);
        var update = new ModelUpdate
        {
            ModelName = announcement.ModelName,
            Round = announcement.Round,
            BaseVersion = announcement.BaseVersion,
            ParticipantId = participantId,
            ClusterId = clusterId,
            DetectorKind = announcement.DetectorKind,
            SampleCount = inputs.Rows,
            Parameters = payload,
            Compression = ParameterCodec.NameOf(compression),
            LocalMetrics =
            [
                new NamedValue(RoundAggregator.ThresholdMetric, model.Threshold),
                new NamedValue(RoundAggregator.MeanScoreMetric, scores.Average()),
                new NamedValue("train_ms", watch.Elapsed.TotalMilliseconds),
            ],
            Nonce = Guid.NewGuid().ToString("N"),
            CreatedAt = now,
        };
        return (UpdateSigner.Sign(update, key), new ModelBundle(local.Layout, standardizer, model, relations, balance));
    }

    /// <summary>
    /// A calibration report for a round announced with zero local epochs: scores the announced base model (the freshly
    /// aggregated candidate) on <paramref name="local"/> and reports the (1 − contamination) quantile of those scores,
    /// signed, with no parameters — so the global threshold is calibrated on the model that will score, not on each
    /// participant's own local model. With <paramref name="labels"/> (the window's ground truth, null = unlabelled) the
    /// report also carries <see cref="WindowEvaluation.Measure"/>'s in-sample evaluation of the candidate on the labelled
    /// events.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one entry per event.</exception>
    public static ModelUpdate Calibrate(RoundAnnouncement announcement, ModelBundle baseBundle, FeaturizedEvents local, FederationOptions options,
        string participantId, string clusterId, ECDsa key, DateTimeOffset now, IReadOnlyList<string?>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        ArgumentNullException.ThrowIfNull(baseBundle);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        var watch = Stopwatch.StartNew();
        var inputs = local.ToInputs(baseBundle);
        var scores = new float[inputs.Rows];
        baseBundle.Detector.Score(inputs.Values, scores);
        var evaluation = labels is null ? [] : WindowEvaluation.Measure(scores, labels, options.Contamination);
        var update = new ModelUpdate
        {
            ModelName = announcement.ModelName,
            Round = announcement.Round,
            BaseVersion = announcement.BaseVersion,
            ParticipantId = participantId,
            ClusterId = clusterId,
            DetectorKind = announcement.DetectorKind,
            SampleCount = inputs.Rows,
            Parameters = [],
            Compression = ParameterCodec.NameOf(UpdateCompression.None),
            LocalMetrics =
            [
                new NamedValue(RoundAggregator.ThresholdMetric, ThresholdCalibrator.FromContamination(scores, options.Contamination)),
                new NamedValue(RoundAggregator.MeanScoreMetric, scores.Length == 0 ? 0 : scores.Average()),
                new NamedValue("score_ms", watch.Elapsed.TotalMilliseconds),
                .. evaluation,
            ],
            Nonce = Guid.NewGuid().ToString("N"),
            CreatedAt = now,
        };
        return UpdateSigner.Sign(update, key);
    }
}
