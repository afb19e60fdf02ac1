using Pipeline.Producers.Scenarios;

namespace Pipeline.Producers.Simulation;

/// <summary>The approved applications of a scenario that lists none.</summary>
internal static class DefaultApps
{
    private const string Linux = ScenarioWorld.LinuxPlatform;
    private const string Android = ScenarioWorld.AndroidPlatform;

    public static IReadOnlyList<AppScenario> All { get; } =
    [
        new() { Name = "navigation", Version = "4.2.1", Platforms = [Linux, Android], Executables = 3, Popularity = 5 },
        new() { Name = "media-player", Version = "2.8.0", Platforms = [Linux, Android], Executables = 4, Popularity = 4 },
        new() { Name = "seat-entertainment", Version = "1.9.3", Platforms = [Android], Executables = 6, Popularity = 6 },
        new() { Name = "web-browser", Version = "118.0.2", Platforms = [Linux, Android], Executables = 24, Popularity = 2 },
        new() { Name = "fleet-telemetry", Version = "3.1.0", Platforms = [Linux], Executables = 2, Popularity = 4 },
        new() { Name = "passenger-wifi-portal", Version = "1.2.0", Platforms = [Android], Executables = 2, Popularity = 2 },
        new() { Name = "driver-assist", Version = "5.0.4", Platforms = [Linux], Executables = 5, Popularity = 3 },
        new() { Name = "diagnostics-suite", Version = "7.3.0", OwnerRole = "admin", Platforms = [Linux], Executables = 4, Popularity = 2 },
        new() { Name = "firmware-updater", Version = "2.2.1", OwnerRole = "admin", Platforms = [Linux, Android], Executables = 3, Popularity = 1 },
        new() { Name = "remote-shell", Version = "1.4.0", OwnerRole = "admin", Platforms = [Linux, Android], Executables = 1, Popularity = 1 },
        new() { Name = "package-manager", Version = "3.0.2", OwnerRole = "admin", Platforms = [Linux, Android], Executables = 2, Popularity = 1 },
    ];
}
