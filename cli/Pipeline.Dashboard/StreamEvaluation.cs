namespace Pipeline.Dashboard;

/// <summary>Detection quality on one source topic.</summary>
/// <param name="Stream">Source topic the events came from.</param>
/// <param name="Events">Labelled events.</param>
/// <param name="Attacks">Events labelled as attacks.</param>
/// <param name="TruePositives">Attack events with at least one alert.</param>
/// <param name="FalsePositives">Normal events with at least one alert.</param>
/// <param name="FalseNegatives">Attack events without an alert.</param>
/// <param name="TrueNegatives">Normal events without an alert.</param>
/// <param name="ByAttack">Per attack type, its events and how many were alerted (ordered by type).</param>
/// <remarks>Only alerted events carry a score, so there is no ROC AUC here: ranking every event would need every
/// event's score. The model's AUC on labelled windows is in each global model version's metrics.</remarks>
public sealed record StreamEvaluation(
    string Stream,
    long Events,
    long Attacks,
    long TruePositives,
    long FalsePositives,
    long FalseNegatives,
    long TrueNegatives,
    IReadOnlyList<AttackDetection> ByAttack)
{
    /// <summary>TP / (TP + FP); NaN without alerts.</summary>
    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    /// <summary>TP / (TP + FN); NaN without attacks.</summary>
    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);

    /// <summary>Harmonic mean of precision and recall (2TP / (2TP + FP + FN)); NaN when undefined.</summary>
    public double F1 => Ratio(2 * TruePositives, (2 * TruePositives) + FalsePositives + FalseNegatives);

    /// <summary>Share of normal events alerted, FP / (FP + TN): the alert load an analyst gets from normal traffic;
    /// NaN without normal events.</summary>
    public double FalsePositiveRate => Ratio(FalsePositives, FalsePositives + TrueNegatives);

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? double.NaN : (double)numerator / denominator;
}
