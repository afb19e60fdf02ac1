namespace Pipeline.Federation;

/// <summary>The four built-in strategies and a factory by configuration name.</summary>
public static class AggregationStrategies
{
    /// <summary>Configuration names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fedavg", "median", "trimmed-mean", "krum"];

    /// <summary>Creates the strategy named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static IAggregationStrategy Create(string name, double trimFraction = 0.2, int byzantine = 1, int krumSelect = 1) =>
        (name ?? "").Trim().ToLowerInvariant() switch
        {
            "fedavg" => new FedAvgStrategy(),
            "median" => new MedianStrategy(),
            "trimmed-mean" or "trimmedmean" => new TrimmedMeanStrategy(trimFraction),
            "krum" => new KrumStrategy(byzantine, krumSelect),
            _ => throw new ArgumentException($"Unknown aggregation strategy '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
        };

    internal static string? CheckShapes(IReadOnlyList<ParameterUpdate> updates)
    {
        if (updates.Count == 0) return "no updates to aggregate";
        var length = updates[0].Parameters.Length;
        for (var i = 1; i < updates.Count; i++)
        {
            if (updates[i].Parameters.Length != length)
            {
                return $"update of {updates[i].ParticipantId} has {updates[i].Parameters.Length} parameters, {updates[0].ParticipantId} has {length}";
            }
        }

        return null;
    }
}
