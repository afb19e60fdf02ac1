namespace Pipeline.Producers.Simulation;

/// <summary>One kind of attack episode and what it adds to the stream, in expectation.</summary>
/// <param name="Label">The attack type.</param>
/// <param name="Rate">Wanted fraction of the domain's messages labelled with it.</param>
/// <param name="Labelled">Expected messages the episode labels with <paramref name="Label"/>.</param>
/// <param name="Normal">Expected messages labelled normal that the episode emits besides.</param>
internal readonly record struct EpisodeKind(string Label, double Rate, double Labelled, double Normal);

/// <summary>
/// Turns wanted label rates into per-step start probabilities. A step without an episode emits
/// <c>u</c> normal messages; an episode of kind k replaces the step and emits a_k labelled and b_k
/// normal messages. The long-run labelled fraction is r_k = p_k a_k / X with
/// X = u + Σ p_j (a_j + b_j − u), which solves to X = u / (1 − Σ (r_j / a_j)(a_j + b_j − u)) and
/// p_k = r_k X / a_k.
/// </summary>
internal sealed class EpisodeScheduler
{
    private readonly double[] _cumulative;

    private EpisodeScheduler(double[] probabilities)
    {
        Probabilities = probabilities;
        _cumulative = new double[probabilities.Length];
        var sum = 0.0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            sum += probabilities[i];
            _cumulative[i] = sum;
        }
    }

    /// <summary>Start probability per step of each kind, in the order given.</summary>
    public IReadOnlyList<double> Probabilities { get; }

    /// <summary>Builds the scheduler, or returns the reason the rates cannot be reached.</summary>
    public static EpisodeScheduler Create(IReadOnlyList<EpisodeKind> kinds, double idleMessages) =>
        TryCreate(kinds, idleMessages, out var scheduler, out var error)
            ? scheduler
            : throw new ArgumentException(error, nameof(kinds));

    public static bool TryCreate(IReadOnlyList<EpisodeKind> kinds, double idleMessages, out EpisodeScheduler scheduler, out string error)
    {
        scheduler = null!;
        var weight = 0.0;
        foreach (var k in kinds)
        {
            if (k.Rate > 0)
            {
                weight += k.Rate / k.Labelled * (k.Labelled + k.Normal - idleMessages);
            }
        }
        if (weight >= 1)
        {
            error = "the attack rates add up to more than the stream can carry; lower them";
            return false;
        }
        var x = idleMessages / (1 - weight);
        var p = new double[kinds.Count];
        var total = 0.0;
        for (var i = 0; i < kinds.Count; i++)
        {
            p[i] = kinds[i].Rate > 0 ? kinds[i].Rate * x / kinds[i].Labelled : 0;
            total += p[i];
        }
        if (total > 1)
        {
            error = $"the attack rates need an episode to start at {total:P0} of steps; lower them";
            return false;
        }
        scheduler = new EpisodeScheduler(p);
        error = string.Empty;
        return true;
    }

    /// <summary>Index of the episode kind to start at this step, or -1 for a normal step.</summary>
    public int Pick(SeededRandom random)
    {
        if (_cumulative.Length == 0 || _cumulative[^1] <= 0)
        {
            return -1;
        }
        var u = random.NextDouble();
        for (var i = 0; i < _cumulative.Length; i++)
        {
            if (u < _cumulative[i])
            {
                return i;
            }
        }
        return -1;
    }
}
