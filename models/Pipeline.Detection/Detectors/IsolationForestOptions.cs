namespace Pipeline.Detection;

/// <summary>Isolation Forest settings (defaults from Liu, Ting and Zhou 2008).</summary>
public sealed record IsolationForestOptions : DetectorOptions
{
    /// <summary>Number of isolation trees t.</summary>
    public int Trees { get; init; } = 100;

    /// <summary>Sub-sampling size ψ drawn without replacement for each tree (capped at the row count).</summary>
    public int SubsampleSize { get; init; } = 256;

    internal void Validate()
    {
        ValidateCommon();
        if (Trees < 1) throw new ArgumentOutOfRangeException(nameof(Trees), Trees, "At least one tree is required.");
        if (SubsampleSize < 2) throw new ArgumentOutOfRangeException(nameof(SubsampleSize), SubsampleSize, "The subsample needs at least 2 rows.");
    }
}
