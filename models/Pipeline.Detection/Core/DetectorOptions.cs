namespace Pipeline.Detection;

/// <summary>Options every detector shares: the seed of its random choices and the contamination rate that calibrates its threshold.</summary>
public abstract record DetectorOptions
{
    /// <summary>Seed for every random choice made during fitting; equal seeds give identical models.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Expected share of anomalies in training data; the threshold is the (1 − contamination) quantile of training scores.</summary>
    public double Contamination { get; init; } = 0.01;

    internal void ValidateCommon()
    {
        if (!(Contamination >= 0 && Contamination < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(Contamination), Contamination, "Contamination must be in [0, 0.5).");
        }
    }
}
