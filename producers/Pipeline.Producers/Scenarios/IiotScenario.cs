namespace Pipeline.Producers.Scenarios;

/// <summary>Smart factories and their water-treatment stages (five devices per stage).</summary>
public sealed record IiotScenario
{
    public int FactoriesPerCluster { get; init; } = 4;

    /// <summary>Process stages per factory; each has a level sensor, an inflow meter, an inlet valve, a pump and a pressure sensor.</summary>
    public int StagesPerFactory { get; init; } = 2;

    /// <summary>Simulated time between two readings of a device.</summary>
    public int ReadingIntervalMs { get; init; } = 1000;

    /// <summary>Standard deviation of sensor noise as a fraction of each sensor's span.</summary>
    public double NoiseFraction { get; init; } = 0.004;

    /// <summary>Attack type → fraction of iiot.telemetry messages labelled with it.</summary>
    public Dictionary<string, double> Attacks { get; init; } = new()
    {
        ["sensor_spoofing"] = 0.005,
        ["actuator_manipulation"] = 0.005,
        ["replay"] = 0.005,
        ["slow_drift"] = 0.005,
    };
}
