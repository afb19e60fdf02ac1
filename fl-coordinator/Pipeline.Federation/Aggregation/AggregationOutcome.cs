namespace Pipeline.Federation;

/// <summary>
/// What a strategy made of a round's updates: the aggregated vector and the participants whose vectors it used, or a
/// failure reason (too few updates for the strategy, mismatched lengths). Failures are data, not exceptions.
/// </summary>
public sealed record AggregationOutcome
{
    /// <summary>The aggregated parameters; null when <see cref="Failure"/> is set.</summary>
    public float[]? Parameters { get; init; }

    /// <summary>Participants whose vectors contributed (Krum keeps only the selected ones).</summary>
    public IReadOnlyList<string> Used { get; init; } = [];

    /// <summary>Why aggregation was impossible; null on success.</summary>
    public string? Failure { get; init; }

    /// <summary>True when <see cref="Parameters"/> holds a result.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>A successful outcome.</summary>
    public static AggregationOutcome Success(float[] parameters, IReadOnlyList<string> used) => new() { Parameters = parameters, Used = used };

    /// <summary>A failed outcome with its reason.</summary>
    public static AggregationOutcome Failed(string reason) => new() { Failure = reason };
}
