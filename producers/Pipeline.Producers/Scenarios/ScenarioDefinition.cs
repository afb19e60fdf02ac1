namespace Pipeline.Producers.Scenarios;

/// <summary>
/// A simulated world: clusters of smart factories with their chains and devices, and a fleet of
/// endpoints. Together with a seed it determines every event. Format: docs/scenarios.md.
/// </summary>
public sealed record ScenarioDefinition
{
    /// <summary>Name shown in logs and written into the whitelist catalogue.</summary>
    public string Name { get; init; } = "default";

    /// <summary>Simulated time of the first event; events carry simulated, not wall-clock, time.</summary>
    public DateTimeOffset StartTime { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Number of clusters of smart factories (one chain per cluster).</summary>
    public int Clusters { get; init; } = 3;

    public IiotScenario Iiot { get; init; } = new();

    public ChainScenario Chain { get; init; } = new();

    public EndpointScenario Endpoints { get; init; } = new();
}
