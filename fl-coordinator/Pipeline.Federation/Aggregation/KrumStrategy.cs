namespace Pipeline.Federation;

/// <summary>
/// Krum (Blanchard et al. 2017): pick the update closest to its n − f − 2 nearest neighbours, tolerating f Byzantine
/// participants when n &gt; 2f + 2. With <see cref="Select"/> m &gt; 1 it is Multi-Krum: the sample-weighted mean of the
/// m best-scored updates.
/// </summary>
public sealed class KrumStrategy : IAggregationStrategy
{
    /// <summary>Creates the strategy for <paramref name="byzantine"/> tolerated attackers, averaging the best <paramref name="select"/>.</summary>
    public KrumStrategy(int byzantine = 1, int select = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byzantine);
        ArgumentOutOfRangeException.ThrowIfLessThan(select, 1);
        Byzantine = byzantine;
        Select = select;
    }

    /// <summary>f: the number of Byzantine participants tolerated.</summary>
    public int Byzantine { get; }

    /// <summary>m: how many best-scored updates are averaged (1 = classic Krum).</summary>
    public int Select { get; }

    /// <inheritdoc />
    public string Name => "krum";

    /// <inheritdoc />
    public AggregationOutcome Aggregate(IReadOnlyList<ParameterUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (AggregationStrategies.CheckShapes(updates) is { } failure) return AggregationOutcome.Failed(failure);
        var n = updates.Count;
        if (n <= (2 * Byzantine) + 2) return AggregationOutcome.Failed($"Krum with f = {Byzantine} needs more than {(2 * Byzantine) + 2} updates, got {n}");
        var select = Math.Min(Select, n - Byzantine);
        var chosen = AggregationMath.KrumSelect([.. updates.Select(u => u.Parameters)], Byzantine, select);
        var vectors = chosen.Select(i => updates[i].Parameters).ToList();
        var weights = chosen.Select(i => (double)Math.Max(1, updates[i].Samples)).ToList();
        var result = vectors.Count == 1 ? (float[])vectors[0].Clone() : AggregationMath.WeightedMean(vectors, weights);
        return AggregationOutcome.Success(result, [.. chosen.Select(i => updates[i].ParticipantId)]);
    }
}
