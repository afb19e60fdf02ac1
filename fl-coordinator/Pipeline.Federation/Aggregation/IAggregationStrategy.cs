namespace Pipeline.Federation;

/// <summary>
/// Combines the parameter vectors of one round into the next global vector (Flower's aggregate step). Implementations
/// are pure and thread-safe; they never throw for bad input but return a failed <see cref="AggregationOutcome"/>.
/// </summary>
public interface IAggregationStrategy
{
    /// <summary>Configuration name (fedavg, median, trimmed-mean, krum).</summary>
    string Name { get; }

    /// <summary>Aggregates <paramref name="updates"/> (all vectors must have the same length).</summary>
    AggregationOutcome Aggregate(IReadOnlyList<ParameterUpdate> updates);
}
