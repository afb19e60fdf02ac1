namespace Pipeline.Federation;

/// <summary>A smart factory to cluster: its site and its devices, in kilometres.</summary>
/// <param name="FactoryId">Unique factory id.</param>
/// <param name="XKm">East coordinate of the site.</param>
/// <param name="YKm">North coordinate of the site.</param>
/// <param name="Devices">The factory's IIoT devices.</param>
public sealed record FactoryLocation(string FactoryId, double XKm, double YKm, IReadOnlyList<DeviceLocation> Devices);
