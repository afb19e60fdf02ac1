namespace Pipeline.Federation;

/// <summary>Coordinate-wise β-trimmed mean (Yin et al. 2018): drop the ⌊β·n⌋ largest and smallest values of each coordinate, average the rest.</summary>
public sealed class TrimmedMeanStrategy : IAggregationStrategy
{
    /// <summary>Creates the strategy with trim fraction β ∈ [0, 0.5).</summary>
    /// <exception cref="ArgumentOutOfRangeException">β outside [0, 0.5).</exception>
    public TrimmedMeanStrategy(double trimFraction = 0.2)
    {
        if (!(trimFraction >= 0 && trimFraction < 0.5)) throw new ArgumentOutOfRangeException(nameof(trimFraction), trimFraction, "The trim fraction must be in [0, 0.5).");
        TrimFraction = trimFraction;
    }

    /// <summary>β: share trimmed from each end.</summary>
    public double TrimFraction { get; }

    /// <inheritdoc />
    public string Name => "trimmed-mean";

    /// <inheritdoc />
    public AggregationOutcome Aggregate(IReadOnlyList<ParameterUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (AggregationStrategies.CheckShapes(updates) is { } failure) return AggregationOutcome.Failed(failure);
        var k = (int)Math.Floor(TrimFraction * updates.Count);
        if (updates.Count - (2 * k) < 1) return AggregationOutcome.Failed($"trimming {k} of {updates.Count} from each end leaves nothing");
        return AggregationOutcome.Success(AggregationMath.TrimmedMean([.. updates.Select(u => u.Parameters)], TrimFraction), [.. updates.Select(u => u.ParticipantId)]);
    }
}
