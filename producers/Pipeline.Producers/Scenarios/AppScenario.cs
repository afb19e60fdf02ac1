namespace Pipeline.Producers.Scenarios;

/// <summary>An approved application. Each launch runs all its executables under one launch id.</summary>
public sealed record AppScenario
{
    public required string Name { get; init; }

    public string Version { get; init; } = "1.0.0";

    /// <summary>"admin" (may only be run by admins) or "user".</summary>
    public string OwnerRole { get; init; } = "user";

    /// <summary>Platforms it is built for: linux-x64 (vehicles), android-arm64 (seat tablets).</summary>
    public IReadOnlyList<string> Platforms { get; init; } = ["linux-x64", "android-arm64"];

    /// <summary>Executables per launch (the main binary and its helpers).</summary>
    public int Executables { get; init; } = 1;

    /// <summary>Relative launch frequency among the apps a caller may run.</summary>
    public double Popularity { get; init; } = 1;

    /// <summary>Who approved it (written to the whitelist catalogue).</summary>
    public string Approver { get; init; } = "it-security";
}
