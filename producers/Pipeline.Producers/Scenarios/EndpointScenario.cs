namespace Pipeline.Producers.Scenarios;

/// <summary>The fleet: organisations with vehicles and seat tablets, users, admins and approved applications.</summary>
public sealed record EndpointScenario
{
    public IReadOnlyList<OrganisationScenario> Organisations { get; init; } =
    [
        new() { Id = "hq", Vehicles = 4, SeatTablets = 16, Users = 24, Admins = 3 },
        new() { Id = "branch-north", Vehicles = 8, SeatTablets = 32, Users = 40, Admins = 2 },
        new() { Id = "branch-south", Vehicles = 6, SeatTablets = 24, Users = 30, Admins = 2 },
    ];

    /// <summary>Mean application launches per simulated minute per organisation (Poisson).</summary>
    public double LaunchesPerMinute { get; init; } = 60;

    /// <summary>Probability that a launch is made by one of the organisation's admins.</summary>
    public double AdminLaunchShare { get; init; } = 0.08;

    /// <summary>Approved applications; null or absent means the built-in set (docs/scenarios.md).</summary>
    public IReadOnlyList<AppScenario>? Apps { get; init; }

    /// <summary>Attack type → fraction of endpoint.executions messages labelled with it.</summary>
    public Dictionary<string, double> Attacks { get; init; } = new()
    {
        ["unknown_binary"] = 0.004,
        ["modified_binary"] = 0.004,
        ["admin_tool_by_user"] = 0.004,
        ["lateral_movement"] = 0.004,
    };
}
