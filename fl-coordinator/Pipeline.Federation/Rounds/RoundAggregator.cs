using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation;

/// <summary>
/// Closes a round: applies the quorum policy, aggregates the accepted updates (the configured strategy over NED
/// parameter vectors; <see cref="FederatedAggregator"/> for the other detectors), builds the global
/// <see cref="ModelBundle"/> (the base standardizer, or in the bootstrap round the exact merge of the participants'
/// standardizers), calibrates the threshold and describes the result as a <see cref="GlobalModel"/>.
/// </summary>
/// <remarks>
/// Threshold: each participant reports <c>threshold</c>, the (1 − contamination) quantile of its local model's scores
/// on its local window; the global threshold is their sample-weighted median (robust to one participant lying about
/// it). Pure; failures are returned in the <see cref="RoundResult"/>.
/// </remarks>
public static class RoundAggregator
{
    /// <summary>Name of the local metric carrying a participant's score quantile.</summary>
    public const string ThresholdMetric = "threshold";

    /// <summary>Metric on a published GlobalModel: updates of earlier rounds that arrived during its round (dropped).</summary>
    public const string LateMetric = "late";

    /// <summary>Metric on a published GlobalModel: updates rejected during its round, late ones included.</summary>
    public const string RejectedMetric = "rejected";

    /// <summary>Name of the local metric carrying the participant's mean local score.</summary>
    public const string MeanScoreMetric = "mean_score";

    /// <summary>
    /// Metric on a published GlobalModel: 0 marks a candidate awaiting calibration (scoring processors skip it), 1 a
    /// calibrated model; models without it are calibrated (<c>Federation:Calibration=local</c>).
    /// </summary>
    public const string CalibratedMetric = "calibrated";

    /// <summary><paramref name="model"/> marked as an uncalibrated candidate (its threshold is the local-model median).</summary>
    public static GlobalModel AsCandidate(GlobalModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model with { Metrics = [.. model.Metrics, new NamedValue(CalibratedMetric, 0)] };
    }

    /// <summary>
    /// The calibrated version <paramref name="version"/> of <paramref name="candidate"/>: the same bundle with the
    /// sample-weighted median of the reported quantiles of the candidate's scores as threshold (the candidate's own
    /// threshold when no report arrived). When reports carry an evaluation on labelled events, the model also gets
    /// <see cref="WindowEvaluation.Aggregate"/>'s metrics (<c>auc</c>, <c>labelled</c>, <c>precision</c>, <c>recall</c>)
    /// at that threshold — in-sample, on the participants' training windows. Its <c>late</c> and <c>rejected</c> metrics
    /// add the calibration round's to the candidate's (late training updates mostly arrive while reports are collected).
    /// </summary>
    public static (GlobalModel Model, ModelBundle Bundle) Calibrate(GlobalModel candidate, ModelBundle bundle, RoundCollector reports, long version, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(reports);
        if (!reports.IsCalibration) throw new ArgumentException($"Round {reports.Announcement.Round} is a training round, not a calibration round.", nameof(reports));
        var accepted = reports.Accepted;
        var threshold = WeightedMedian([.. accepted.Select(a => (Metric(a.Update, ThresholdMetric), (double)a.Update.SampleCount)).Where(p => double.IsFinite(p.Item1))]);
        if (!double.IsFinite(threshold)) threshold = candidate.Threshold;
        var calibrated = bundle.WithThreshold(threshold);
        var model = candidate with
        {
            Version = version,
            Round = reports.Announcement.Round,
            Model = calibrated.Serialize(),
            Threshold = threshold,
            Metrics =
            [
                .. candidate.Metrics.Where(m => m.Name != CalibratedMetric).Select(m => m.Name switch
                {
                    LateMetric => m with { Value = m.Value + reports.Late },
                    RejectedMetric => m with { Value = m.Value + reports.Rejected.Count },
                    _ => m,
                }),
                new NamedValue(CalibratedMetric, 1),
                new NamedValue("calibration_reports", accepted.Count),
                new NamedValue("local_threshold", candidate.Threshold),
                .. WindowEvaluation.Aggregate(accepted.Select(a => a.Update.LocalMetrics), threshold),
            ],
            CreatedAt = now,
        };
        return (model, calibrated);
    }

    /// <summary>Closes <paramref name="collector"/>'s round as version <paramref name="version"/>.</summary>
    public static (RoundResult Result, ModelBundle? Bundle) Close(RoundCollector collector, IAggregationStrategy strategy, int minParticipants, bool skipShortOfQuorum,
        long version, DateTimeOffset now, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(collector);
        ArgumentNullException.ThrowIfNull(strategy);
        var announcement = collector.Announcement;
        var accepted = collector.Accepted;
        RoundResult Result(RoundStatus status, string? reason) => new()
        {
            ModelName = announcement.ModelName,
            Round = announcement.Round,
            BaseVersion = announcement.BaseVersion,
            Status = status,
            Reason = reason,
            Selected = announcement.SelectedParticipants,
            Accepted = [.. accepted.Select(a => a.Update.ParticipantId)],
            Rejected = collector.Rejected,
            Late = collector.Late,
            BytesReceived = collector.BytesReceived,
            ParameterBytesAccepted = collector.ParameterBytesAccepted,
        };

        if (accepted.Count == 0) return (Result(RoundStatus.Skipped, "no valid update arrived before the deadline"), null);
        if (accepted.Count < minParticipants && skipShortOfQuorum)
        {
            return (Result(RoundStatus.Skipped, $"{accepted.Count} of the {minParticipants} updates needed for quorum arrived"), null);
        }

        var standardizer = collector.BaseBundle?.Standardizer
            ?? RunningStandardizer.Merge([.. accepted.Select(a => a.Payload.Standardizer!)]);
        // Sufficient statistics: the merged relation model is the one fitted on the union of the participants' kept rows.
        var relations = collector.BaseBundle is { } baseBundle ? baseBundle.Relations
            : collector.Layout.HasRelations ? RelationModel.Merge([.. accepted.Select(a => a.Payload.Relations!)]) : null;
        // Per unit: a unit belongs to one participant, so the merge is mostly a union (MassBalanceModel.Merge).
        var balance = collector.BaseBundle is { } previous ? previous.Balance
            : collector.Layout.HasBalance ? MassBalanceModel.Merge([.. accepted.Select(a => a.Payload.Balance!)]) : null;
        var samples = accepted.Sum(a => a.Update.SampleCount);
        var threshold = WeightedMedian(accepted.Select(a => (Metric(a.Update, ThresholdMetric), (double)a.Update.SampleCount)).Where(p => double.IsFinite(p.Item1)).ToList());
        IAnomalyDetector detector;
        IReadOnlyList<string> used;
        if (accepted[0].Payload.Vector is not null)
        {
            var outcome = strategy.Aggregate([.. accepted.Select(a => new ParameterUpdate(a.Update.ParticipantId, a.Payload.Vector!, a.Update.SampleCount))]);
            if (!outcome.Succeeded) return (Result(RoundStatus.Failed, $"{strategy.Name}: {outcome.Failure}"), null);
            try
            {
                detector = NedParameters.FromVector(accepted[0].Payload.LayerSizes!, accepted[0].Payload.Activation, outcome.Parameters, double.PositiveInfinity, samples);
            }
            catch (ArgumentException ex)
            {
                return (Result(RoundStatus.Failed, $"{strategy.Name} produced an unusable model: {ex.Message}"), null);
            }

            used = outcome.Used;
        }
        else
        {
            try
            {
                detector = FederatedAggregator.Aggregate([.. accepted.Select(a => (a.Payload.DetectorBytes!, a.Update.SampleCount))], accepted[0].Payload.Kind, seed);
            }
            catch (AggregationException ex)
            {
                return (Result(RoundStatus.Failed, $"{ex.Reason} in update {ex.UpdateIndex}: {ex.Message}"), null);
            }

            used = [.. accepted.Select(a => a.Update.ParticipantId)];
        }

        if (!double.IsFinite(threshold)) threshold = detector.Threshold;
        var bundle = new ModelBundle(collector.Layout, standardizer, detector.WithThreshold(threshold), relations, balance);
        var model = new GlobalModel
        {
            ModelName = announcement.ModelName,
            Version = version,
            Round = announcement.Round,
            DetectorKind = announcement.DetectorKind,
            Stream = collector.Layout.Stream,
            Model = bundle.Serialize(),
            Threshold = threshold,
            Participants = used,
            Metrics =
            [
                new NamedValue("accepted", accepted.Count),
                new NamedValue(RejectedMetric, collector.Rejected.Count),
                new NamedValue(LateMetric, collector.Late),
                new NamedValue("samples", samples),
                new NamedValue("bytes_received", collector.BytesReceived),
                new NamedValue("parameter_bytes_per_participant", collector.ParameterBytesAccepted / (double)accepted.Count),
                new NamedValue("mean_local_score", WeightedMean(accepted.Select(a => (Metric(a.Update, MeanScoreMetric), (double)a.Update.SampleCount)))),
            ],
            CreatedAt = now,
        };
        return (Result(RoundStatus.Published, null) with { Model = model }, bundle);
    }

    /// <summary>The value at which the cumulative weight first reaches half of the total; NaN for no values.</summary>
    public static double WeightedMedian(IReadOnlyList<(double Value, double Weight)> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return double.NaN;
        var sorted = values.OrderBy(v => v.Value).ToArray();
        var half = sorted.Sum(v => v.Weight) / 2;
        double cumulative = 0;
        foreach (var (value, weight) in sorted)
        {
            cumulative += weight;
            if (cumulative >= half) return value;
        }

        return sorted[^1].Value;
    }

    private static double WeightedMean(IEnumerable<(double Value, double Weight)> values)
    {
        var finite = values.Where(v => double.IsFinite(v.Value)).ToList();
        var total = finite.Sum(v => v.Weight);
        return total > 0 ? finite.Sum(v => v.Value * v.Weight) / total : 0;
    }

    private static double Metric(ModelUpdate update, string name) =>
        NamedValue.Find(update.LocalMetrics, name) ?? double.NaN;
}
