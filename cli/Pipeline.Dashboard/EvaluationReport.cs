namespace Pipeline.Dashboard;

/// <summary>Result of <see cref="AlertEvaluator.Evaluate"/>: one row per stream plus the alerts that could not be
/// joined to a labelled event.</summary>
/// <param name="Streams">One row per source topic.</param>
/// <param name="UnmatchedAlerts">Alerts pointing at no labelled event that retention does not explain: another run, a
/// topic not read, an unlabelled record.</param>
/// <param name="AlertsOnExpiredRecords">Alerts pointing below the first record read of their source partition: the broker
/// no longer keeps that record (retention), so neither it nor its alert is counted.</param>
public sealed record EvaluationReport(IReadOnlyList<StreamEvaluation> Streams, long UnmatchedAlerts, long AlertsOnExpiredRecords = 0);
