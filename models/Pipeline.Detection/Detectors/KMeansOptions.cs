namespace Pipeline.Detection;

/// <summary>K-means settings (also used by CBLOF for its clustering step).</summary>
public sealed record KMeansOptions : DetectorOptions
{
    /// <summary>Number of clusters k.</summary>
    public int Clusters { get; init; } = 8;

    /// <summary>Maximum Lloyd iterations per restart.</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>
    /// Stop when the summed squared centroid shift falls to this value times the mean per-feature variance of the data
    /// (scikit-learn's <c>tol</c> convention and default), or when no row changes cluster.
    /// </summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Independent k-means++ seedings; the one with the lowest inertia is kept.</summary>
    public int Restarts { get; init; } = 3;

    internal void Validate(int rows)
    {
        ValidateCommon();
        if (Clusters < 1) throw new ArgumentOutOfRangeException(nameof(Clusters), Clusters, "At least one cluster is required.");
        if (Clusters > rows) throw new ArgumentOutOfRangeException(nameof(Clusters), Clusters, $"Cannot form {Clusters} clusters from {rows} rows.");
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "At least one iteration is required.");
        if (!(Tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance cannot be negative.");
        if (Restarts < 1) throw new ArgumentOutOfRangeException(nameof(Restarts), Restarts, "At least one restart is required.");
    }
}
