namespace Pipeline.Producers.Simulation;

/// <summary>Where a device stands, in kilometres on the scenario's map (east, north).</summary>
public sealed record DeviceSite(string DeviceId, double XKm, double YKm);
