using System.Text.Json;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Scenarios;

/// <summary>Reads and validates scenario files (JSON, comments and trailing commas allowed).</summary>
public static class ScenarioLoader
{
    internal static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
    };

    /// <summary>Loads a scenario file; every problem is a <see cref="ScenarioFormatException"/> naming file, line and field.</summary>
    public static ScenarioDefinition Load(string path) => Parse(JsonFileLoader.Read(path), path);

    /// <summary>Parses and validates a scenario; <paramref name="source"/> names it in errors.</summary>
    public static ScenarioDefinition Parse(ReadOnlySpan<byte> utf8, string source) =>
        JsonFileLoader.Parse<ScenarioDefinition>(utf8, source, "a scenario object", ScenarioValidator.FirstError);

    /// <summary>The built-in default scenario (the same as producers/scenarios/default.json).</summary>
    public static ScenarioDefinition Default { get; } = new();

    internal static bool IsKnownPlatform(string platform) =>
        platform is ScenarioWorld.LinuxPlatform or ScenarioWorld.AndroidPlatform;
}
