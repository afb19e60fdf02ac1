namespace Pipeline.Producers.Simulation;

/// <summary>An approved application as built for each platform: its executables and their hashes.</summary>
internal sealed record AppBuild(
    string Name,
    string Version,
    string OwnerRole,
    string Approver,
    double Popularity,
    IReadOnlyDictionary<string, AppExecutable[]> Executables);

/// <summary>One executable of an application build.</summary>
internal sealed record AppExecutable(string Path, string Sha256);
