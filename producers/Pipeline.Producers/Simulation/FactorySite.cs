namespace Pipeline.Producers.Simulation;

/// <summary>
/// A factory's location and its devices' locations on the scenario's map (kilometres). Devices of different factories
/// within radio range of each other are neighbours; together with the distance between sites this is what the
/// federation's clustering (Block Hunter's Algorithm 2) groups factories by.
/// </summary>
/// <param name="FactoryId">Factory id (c01-f02).</param>
/// <param name="ClusterId">The scenario cluster the factory's events carry.</param>
/// <param name="XKm">East coordinate of the site.</param>
/// <param name="YKm">North coordinate of the site.</param>
/// <param name="Devices">The factory's devices and where they stand.</param>
public sealed record FactorySite(string FactoryId, string ClusterId, double XKm, double YKm, IReadOnlyList<DeviceSite> Devices);
