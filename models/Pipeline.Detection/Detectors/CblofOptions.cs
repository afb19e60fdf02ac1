namespace Pipeline.Detection;

/// <summary>CBLOF settings (He, Xu, Deng 2003).</summary>
public sealed record CblofOptions : DetectorOptions
{
    /// <summary>Clustering step (k-means); its seed and contamination are ignored in favour of this record's.</summary>
    public KMeansOptions Clustering { get; init; } = new() { Clusters = 8 };

    /// <summary>α: large clusters together hold at least this share of the data.</summary>
    public double Alpha { get; init; } = 0.9;

    /// <summary>β: a size ratio of at least β between consecutive clusters (sorted by size) also ends the large set.</summary>
    public double Beta { get; init; } = 5;

    /// <summary>
    /// Multiply the distance by the cluster size, as in the original paper. Off by default: the size factor ranks a
    /// normal row of a big cluster above an anomaly in a small one (the same choice as PyOD's default).
    /// </summary>
    public bool UseSizeWeights { get; init; }

    internal void Validate(int rows)
    {
        ValidateCommon();
        Clustering.Validate(rows);
        if (!(Alpha > 0 && Alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Alpha must be in (0, 1].");
        if (!(Beta > 1)) throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "Beta must be greater than 1.");
    }
}
