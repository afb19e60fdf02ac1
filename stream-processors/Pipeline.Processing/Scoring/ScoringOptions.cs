namespace Pipeline.Processing.Scoring;

/// <summary>Scoring settings (configuration section "Processing:Scoring").</summary>
public sealed class ScoringOptions
{
    public const string SectionName = "Processing:Scoring";

    /// <summary>Wait (default) or PassThrough before the first model.</summary>
    public NoModelBehaviour NoModel { get; set; } = NoModelBehaviour.Wait;

    /// <summary>Contributing features written on each alert (0 = none).</summary>
    public int TopFeatures { get; set; } = 3;

    /// <summary>
    /// A block held for its confirmations (block models with <c>Confirmations</c> k &gt; 0) longer than this is scored
    /// with the blocks of its chain that have arrived. Set it above k block intervals of your chains: below that, blocks
    /// are scored with less look-ahead than the model was trained with.
    /// </summary>
    public double ConfirmationTimeoutSeconds { get; set; } = 600;

    /// <summary>
    /// Records before its committed offset that an instance reads again for each partition it is assigned (start,
    /// rebalance, scale-out), only to rebuild the entity context the detectors featurize with (a device's previous
    /// readings, an account's recent transactions); they are not scored, alerted or committed again. Without it, the first
    /// event of every entity after an assignment is scored from a cold context and often alerts (docs/detection.md).
    /// 0 turns the warm-up off. Block models that hold blocks for their confirmations do not use it.
    /// </summary>
    public int WarmupRecords { get; set; } = 1000;

    /// <summary>Checks the values and names the first bad one.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (TopFeatures is < 0 or > 32)
        {
            throw new ArgumentException($"Processing:Scoring:TopFeatures must be 0..32, got {TopFeatures}");
        }
        if (!(ConfirmationTimeoutSeconds > 0) || ConfirmationTimeoutSeconds > 86_400)
        {
            throw new ArgumentException($"Processing:Scoring:ConfirmationTimeoutSeconds must be above 0 and at most 86400, got {ConfirmationTimeoutSeconds}");
        }
        if (WarmupRecords is < 0 or > 1_000_000)
        {
            throw new ArgumentException($"Processing:Scoring:WarmupRecords must be 0..1000000, got {WarmupRecords}");
        }
        if (!Enum.IsDefined(NoModel))
        {
            throw new ArgumentException($"Processing:Scoring:NoModel must be Wait or PassThrough, got {NoModel}");
        }
    }
}
