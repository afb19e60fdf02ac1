using Pipeline.Detection;

namespace Pipeline.Bench.Detection;

/// <summary>Featurized, standardised train and test rows of one data set, with test labels.</summary>
internal sealed record QualitySet(string Name, FeatureMatrix Train, FeatureMatrix Test, string[] TestLabels)
{
    public bool[] IsAttack => TestLabels.Select(l => l != "normal").ToArray();
}
