namespace Pipeline.Producers.Scenarios;

/// <summary>An organisation of the fleet (headquarters or a branch) and its endpoints and people.</summary>
public sealed record OrganisationScenario
{
    public required string Id { get; init; }

    /// <summary>Vehicles (platform linux-x64).</summary>
    public int Vehicles { get; init; }

    /// <summary>Seat tablets (platform android-arm64).</summary>
    public int SeatTablets { get; init; }

    public int Users { get; init; } = 10;

    public int Admins { get; init; } = 1;
}
