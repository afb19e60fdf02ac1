namespace Pipeline.Federation;

/// <summary>FedAvg (McMahan et al. 2017): the mean of the vectors weighted by each participant's sample count.</summary>
public sealed class FedAvgStrategy : IAggregationStrategy
{
    /// <inheritdoc />
    public string Name => "fedavg";

    /// <inheritdoc />
    public AggregationOutcome Aggregate(IReadOnlyList<ParameterUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (AggregationStrategies.CheckShapes(updates) is { } failure) return AggregationOutcome.Failed(failure);
        if (updates.FirstOrDefault(u => u.Samples <= 0) is { } bad) return AggregationOutcome.Failed($"{bad.ParticipantId} reported {bad.Samples} samples");
        var mean = AggregationMath.WeightedMean([.. updates.Select(u => u.Parameters)], [.. updates.Select(u => (double)u.Samples)]);
        return AggregationOutcome.Success(mean, [.. updates.Select(u => u.ParticipantId)]);
    }
}
