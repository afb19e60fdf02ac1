namespace Pipeline.PeerIndex;

/// <summary>A peer's load as it reports it.</summary>
/// <param name="CpuPercent">CPU use, percent of the peer's budget (0–100).</param>
/// <param name="RamPercent">Memory use, percent of the peer's budget (0–100).</param>
/// <param name="InFlight">Queries the peer is executing right now.</param>
public readonly record struct PeerLoad(double CpuPercent, double RamPercent, int InFlight)
{
    /// <summary>The larger of CPU and RAM, which drives the status.</summary>
    public double Percent => Math.Max(CpuPercent, RamPercent);

    /// <summary>Throws when a value is negative, not a number, or a percentage above 100.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(CpuPercent is >= 0 and <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(CpuPercent), CpuPercent, "CPU load must be a percentage in [0, 100].");
        }

        if (!(RamPercent is >= 0 and <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(RamPercent), RamPercent, "RAM load must be a percentage in [0, 100].");
        }

        if (InFlight < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(InFlight), InFlight, "In-flight query count must not be negative.");
        }
    }
}
