namespace Pipeline.Processing.Scoring;

/// <summary>Scoring settings (configuration section "Processing:Scoring").</summary>
public sealed class ScoringOptions
{
    public const string SectionName = "Processing:Scoring";

    /// <summary>Wait (default) or PassThrough before the first model.</summary>
    public NoModelBehaviour NoModel { get; set; } = NoModelBehaviour.Wait;

    /// <summary>Contributing features written on each alert (0 = none).</summary>
    public int TopFeatures { get; set; } = 3;

    /// <summary>Checks the values and names the first bad one.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (TopFeatures is < 0 or > 32)
        {
            throw new ArgumentException($"Processing:Scoring:TopFeatures must be 0..32, got {TopFeatures}");
        }
        if (!Enum.IsDefined(NoModel))
        {
            throw new ArgumentException($"Processing:Scoring:NoModel must be Wait or PassThrough, got {NoModel}");
        }
    }
}
