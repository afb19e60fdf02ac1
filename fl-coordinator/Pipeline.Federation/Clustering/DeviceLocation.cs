namespace Pipeline.Federation;

/// <summary>A device's position in kilometres (east, north).</summary>
public sealed record DeviceLocation(string DeviceId, double XKm, double YKm);
