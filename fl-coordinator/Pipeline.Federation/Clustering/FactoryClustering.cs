namespace Pipeline.Federation;

/// <summary>
/// Block Hunter's clustering of smart factories (Algorithm 2 of Yazdinejad et al., IEEE TII 2022): factories and their
/// IIoT devices are grouped into K clusters by a distance that combines where the factories are and which neighbouring
/// devices they share, and each cluster gets a head that trains the cluster's local model.
/// </summary>
/// <remarks>
/// Distance between factories a and b: w · geo(a, b) / max geo + (1 − w) · (1 − J(N(a), N(b))), where geo is the
/// distance between the sites, N(f) the devices (of any factory) within radio range of one of f's devices, and J the
/// Jaccard similarity — so both terms lie in [0, 1]. Grouping is k-medoids (PAM's alternating steps): the first medoid
/// is the most central factory, the next ones farthest-first; then factories join their nearest medoid and every
/// cluster's medoid becomes the member with the smallest sum of distances to the others, until nothing changes. Ties
/// are broken by ordinal factory id, so the result depends only on the input. Pure and thread-safe.
/// </remarks>
public static class FactoryClustering
{
    /// <summary>Default radio range within which two devices are neighbours.</summary>
    public const double DefaultRadioRangeKm = 1.0;

    /// <summary>Default weight w of the location term (1 − w weighs shared neighbours).</summary>
    public const double DefaultLocationWeight = 0.5;

    private const int MaxIterations = 100;

    /// <summary>Groups <paramref name="factories"/> into <paramref name="k"/> clusters, each with its head.</summary>
    /// <returns>Exactly <paramref name="k"/> non-empty clusters; every factory is in exactly one.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1 or above the number of factories, or a bad range/weight.</exception>
    /// <exception cref="ArgumentException">No factories, a repeated factory id, or a non-finite coordinate.</exception>
    public static IReadOnlyList<FactoryCluster> Cluster(IReadOnlyList<FactoryLocation> factories, int k, double radioRangeKm = DefaultRadioRangeKm,
        double locationWeight = DefaultLocationWeight)
    {
        var sorted = Checked(factories);
        if (k < 1 || k > sorted.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"K = {k} clusters cannot be formed from {sorted.Length} factories: K must be between 1 and {sorted.Length}.");
        }

        var distance = Distances(sorted, radioRangeKm, locationWeight);
        var n = sorted.Length;
        var medoids = InitialMedoids(distance, k);
        var assignment = new int[n];
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            Assign(distance, medoids, assignment);
            var changed = false;
            for (var c = 0; c < k; c++)
            {
                var best = Head(distance, Members(assignment, c));
                if (best != medoids[c])
                {
                    medoids[c] = best;
                    changed = true;
                }
            }

            if (!changed) break;
        }

        Assign(distance, medoids, assignment);
        return [.. Enumerable.Range(0, k)
            .Select(c => Members(assignment, c))
            .OrderBy(m => m[0]) // members are index-ordered = ordinal id order
            .Select((members, i) =>
            {
                var head = Head(distance, members);
                return new FactoryCluster(
                    i + 1,
                    sorted[head].FactoryId,
                    [.. members.Select(m => sorted[m].FactoryId)],
                    [.. members.SelectMany(m => sorted[m].Devices.Select(d => d.DeviceId)).Order(StringComparer.Ordinal)],
                    members.Sum(m => distance[head, m]));
            })];
    }

    /// <summary>
    /// The pairwise distance matrix of <paramref name="factories"/> in ordinal id order (symmetric, zero diagonal,
    /// entries in [0, 1]).
    /// </summary>
    /// <exception cref="ArgumentException">Bad input, as for <see cref="Cluster"/>.</exception>
    public static double[,] Distances(IReadOnlyList<FactoryLocation> factories, double radioRangeKm = DefaultRadioRangeKm, double locationWeight = DefaultLocationWeight)
    {
        var sorted = Checked(factories);
        if (!(radioRangeKm >= 0) || !double.IsFinite(radioRangeKm)) throw new ArgumentOutOfRangeException(nameof(radioRangeKm), radioRangeKm, "The radio range must be a finite distance ≥ 0 km.");
        if (!(locationWeight >= 0 && locationWeight <= 1)) throw new ArgumentOutOfRangeException(nameof(locationWeight), locationWeight, "The location weight must be in [0, 1].");
        var n = sorted.Length;
        var neighbourhoods = sorted.Select(f => Neighbourhood(f, sorted, radioRangeKm)).ToArray();
        var geo = new double[n, n];
        double maxGeo = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                geo[i, j] = geo[j, i] = Math.Sqrt(Square(sorted[i].XKm - sorted[j].XKm) + Square(sorted[i].YKm - sorted[j].YKm));
                maxGeo = Math.Max(maxGeo, geo[i, j]);
            }
        }

        var distance = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var location = maxGeo > 0 ? geo[i, j] / maxGeo : 0;
                var union = neighbourhoods[i].Count + neighbourhoods[j].Count - neighbourhoods[i].Intersect(neighbourhoods[j]).Count();
                var shared = union == 0 ? 0 : neighbourhoods[i].Intersect(neighbourhoods[j]).Count() / (double)union;
                distance[i, j] = distance[j, i] = (locationWeight * location) + ((1 - locationWeight) * (1 - shared));
            }
        }

        return distance;
    }

    /// <summary>The devices (of any factory) within <paramref name="radioRangeKm"/> of one of <paramref name="factory"/>'s devices, its own included.</summary>
    public static IReadOnlySet<string> Neighbourhood(FactoryLocation factory, IReadOnlyList<FactoryLocation> all, double radioRangeKm)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(all);
        var result = new HashSet<string>(factory.Devices.Select(d => d.DeviceId), StringComparer.Ordinal);
        var limit = radioRangeKm * radioRangeKm;
        foreach (var other in all)
        {
            if (other.FactoryId == factory.FactoryId) continue;
            foreach (var device in other.Devices)
            {
                if (factory.Devices.Any(own => Square(own.XKm - device.XKm) + Square(own.YKm - device.YKm) <= limit)) result.Add(device.DeviceId);
            }
        }

        return result;
    }

    private static FactoryLocation[] Checked(IReadOnlyList<FactoryLocation> factories)
    {
        ArgumentNullException.ThrowIfNull(factories);
        if (factories.Count == 0) throw new ArgumentException("There are no factories to cluster.", nameof(factories));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in factories)
        {
            if (f is null || string.IsNullOrWhiteSpace(f.FactoryId)) throw new ArgumentException("A factory without an id.", nameof(factories));
            if (!ids.Add(f.FactoryId)) throw new ArgumentException($"Factory '{f.FactoryId}' is listed twice.", nameof(factories));
            if (!double.IsFinite(f.XKm) || !double.IsFinite(f.YKm) || (f.Devices ?? []).Any(d => !double.IsFinite(d.XKm) || !double.IsFinite(d.YKm)))
            {
                throw new ArgumentException($"Factory '{f.FactoryId}' has a non-finite coordinate.", nameof(factories));
            }
        }

        return [.. factories.Select(f => f.Devices is null ? f with { Devices = [] } : f).OrderBy(f => f.FactoryId, StringComparer.Ordinal)];
    }

    // Most central factory first, then repeatedly the factory farthest from the medoids chosen so far.
    private static int[] InitialMedoids(double[,] distance, int k)
    {
        var n = distance.GetLength(0);
        var medoids = new List<int> { Head(distance, [.. Enumerable.Range(0, n)]) };
        while (medoids.Count < k)
        {
            var best = -1;
            var bestDistance = double.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                if (medoids.Contains(i)) continue;
                var nearest = medoids.Min(m => distance[i, m]);
                if (nearest > bestDistance)
                {
                    best = i;
                    bestDistance = nearest;
                }
            }

            medoids.Add(best);
        }

        return [.. medoids];
    }

    // Each factory joins its nearest medoid (a medoid always stays in its own cluster; ties go to the lower factory id).
    private static void Assign(double[,] distance, int[] medoids, int[] assignment)
    {
        for (var i = 0; i < assignment.Length; i++)
        {
            var own = Array.IndexOf(medoids, i);
            if (own >= 0)
            {
                assignment[i] = own;
                continue;
            }

            var best = 0;
            for (var c = 1; c < medoids.Length; c++)
            {
                var d = distance[i, medoids[c]];
                var bestD = distance[i, medoids[best]];
                if (d < bestD || (d == bestD && medoids[c] < medoids[best])) best = c;
            }

            assignment[i] = best;
        }
    }

    private static int[] Members(int[] assignment, int cluster) => [.. Enumerable.Range(0, assignment.Length).Where(i => assignment[i] == cluster)];

    // The member with the smallest sum of distances to the members (lowest index on ties).
    private static int Head(double[,] distance, int[] members)
    {
        var best = members[0];
        var bestSum = double.PositiveInfinity;
        foreach (var candidate in members)
        {
            var sum = members.Sum(m => distance[candidate, m]);
            if (sum < bestSum)
            {
                best = candidate;
                bestSum = sum;
            }
        }

        return best;
    }

    private static double Square(double v) => v * v;
}
