using Pipeline.Detection;

namespace Pipeline.Federation;

/// <summary>Names of detector kinds on the wire (RoundAnnouncement, ModelUpdate, GlobalModel) and in configuration.</summary>
public static class DetectorKinds
{
    /// <summary>The wire name: ned, isolation-forest, pca, kmeans, cblof.</summary>
    public static string NameOf(DetectorKind kind) => kind switch
    {
        DetectorKind.Ned => "ned",
        DetectorKind.IsolationForest => "isolation-forest",
        DetectorKind.PcaMahalanobis => "pca",
        DetectorKind.KMeans => "kmeans",
        DetectorKind.Cblof => "cblof",
        _ => kind.ToString(),
    };

    /// <summary>Parses a wire or configuration name (case-insensitive; enum names accepted too).</summary>
    /// <exception cref="ArgumentException">An unknown name, listing the known ones.</exception>
    public static DetectorKind Parse(string? name) => (name ?? "").Trim().ToLowerInvariant().Replace("_", "-", StringComparison.Ordinal) switch
    {
        "ned" => DetectorKind.Ned,
        "isolation-forest" or "isolationforest" or "if" => DetectorKind.IsolationForest,
        "pca" or "pcamahalanobis" or "pca-mahalanobis" => DetectorKind.PcaMahalanobis,
        "kmeans" or "k-means" => DetectorKind.KMeans,
        "cblof" => DetectorKind.Cblof,
        _ => throw new ArgumentException($"Unknown detector '{name}'; expected ned, isolation-forest, pca, kmeans or cblof."),
    };
}
