namespace Pipeline.Detection;

/// <summary>Detection quality at one threshold plus threshold-free ranking quality.</summary>
/// <param name="TruePositives">Anomalies scored above the threshold.</param>
/// <param name="FalsePositives">Normal rows scored above the threshold.</param>
/// <param name="TrueNegatives">Normal rows at or below the threshold.</param>
/// <param name="FalseNegatives">Anomalies at or below the threshold.</param>
/// <param name="Accuracy">(TP + TN) / all.</param>
/// <param name="Precision">TP / (TP + FP); 0 when nothing is flagged.</param>
/// <param name="Recall">TP / (TP + FN), the true-positive rate (TPR).</param>
/// <param name="F1">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="FalsePositiveRate">FP / (FP + TN).</param>
/// <param name="RocAuc">Area under the ROC curve; tied scores count one half.</param>
/// <param name="PrAuc">Area under the precision-recall curve as average precision (step-wise, ties grouped).</param>
public sealed record EvaluationReport(
    long TruePositives,
    long FalsePositives,
    long TrueNegatives,
    long FalseNegatives,
    double Accuracy,
    double Precision,
    double Recall,
    double F1,
    double FalsePositiveRate,
    double RocAuc,
    double PrAuc)
{
    /// <summary>True-positive rate; the same as <see cref="Recall"/>.</summary>
    public double TruePositiveRate => Recall;
}
