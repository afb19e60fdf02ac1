namespace Pipeline.Detection;

/// <summary>PCA-Mahalanobis settings.</summary>
public sealed record PcaMahalanobisOptions : DetectorOptions
{
    /// <summary>Number of principal (major) components; 0 chooses the fewest reaching <see cref="VarianceRatio"/>.</summary>
    public int Components { get; init; }

    /// <summary>Share of variance the major components must explain when <see cref="Components"/> is 0.</summary>
    public double VarianceRatio { get; init; } = 0.95;

    /// <summary>
    /// Add the minor components' Mahalanobis term (Shyu et al. 2003): a row that breaks the correlation structure
    /// scores high even when its projection on the major components looks normal.
    /// </summary>
    public bool IncludeResidual { get; init; } = true;

    /// <summary>Rounds of trimming: refit after removing the highest-distance rows (robust mean and covariance).</summary>
    public int TrimIterations { get; init; } = 2;

    /// <summary>Share of rows removed in each trimming round.</summary>
    public double TrimFraction { get; init; } = 0.01;

    internal void Validate(int columns)
    {
        ValidateCommon();
        if (Components < 0 || Components > columns) throw new ArgumentOutOfRangeException(nameof(Components), Components, $"Components must be in [0, {columns}].");
        if (!(VarianceRatio > 0 && VarianceRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(VarianceRatio), VarianceRatio, "VarianceRatio must be in (0, 1].");
        if (TrimIterations < 0) throw new ArgumentOutOfRangeException(nameof(TrimIterations), TrimIterations, "TrimIterations cannot be negative.");
        if (!(TrimFraction >= 0 && TrimFraction < 0.5)) throw new ArgumentOutOfRangeException(nameof(TrimFraction), TrimFraction, "TrimFraction must be in [0, 0.5).");
    }
}
