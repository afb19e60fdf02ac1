namespace Pipeline.Federation;

/// <summary>Coordinate-wise median (Yin et al. 2018): robust to fewer than half the participants being Byzantine; ignores sample counts.</summary>
public sealed class MedianStrategy : IAggregationStrategy
{
    /// <inheritdoc />
    public string Name => "median";

    /// <inheritdoc />
    public AggregationOutcome Aggregate(IReadOnlyList<ParameterUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (AggregationStrategies.CheckShapes(updates) is { } failure) return AggregationOutcome.Failed(failure);
        return AggregationOutcome.Success(AggregationMath.CoordinateMedian([.. updates.Select(u => u.Parameters)]), [.. updates.Select(u => u.ParticipantId)]);
    }
}
