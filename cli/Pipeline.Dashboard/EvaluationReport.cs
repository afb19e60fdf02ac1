namespace Pipeline.Dashboard;

/// <summary>Result of <see cref="AlertEvaluator.Evaluate"/>: one row per stream plus the alerts that
/// pointed at no labelled event (another run, a topic not read, or a retention gap).</summary>
public sealed record EvaluationReport(IReadOnlyList<StreamEvaluation> Streams, long UnmatchedAlerts);
