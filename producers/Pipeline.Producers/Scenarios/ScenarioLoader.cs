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
    public static ScenarioDefinition Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFormatException(path, null, null, $"cannot read the file: {ex.Message}", ex);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses and validates a scenario; <paramref name="source"/> names it in errors.</summary>
    public static ScenarioDefinition Parse(ReadOnlySpan<byte> utf8, string source)
    {
        // Editors on some platforms save a UTF-8 byte order mark; the JSON reader refuses it.
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8 = utf8[3..];
        }
        ScenarioDefinition? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize<ScenarioDefinition>(utf8, Options);
        }
        catch (JsonException ex)
        {
            throw new ScenarioFormatException(source, ex.LineNumber is { } l ? (int)l + 1 : null, ex.Path, JsonErrors.Describe(ex), ex);
        }
        if (scenario is null)
        {
            throw new ScenarioFormatException(source, 1, "$", "the document is null; expected a scenario object");
        }
        var error = ScenarioValidator.FirstError(scenario);
        if (error is { } e)
        {
            throw new ScenarioFormatException(source, JsonLineLocator.Find(utf8, e.Path), e.Path, e.Message);
        }
        return scenario;
    }

    /// <summary>The built-in default scenario (the same as producers/scenarios/default.json).</summary>
    public static ScenarioDefinition Default { get; } = new();

    internal static bool IsKnownPlatform(string platform) =>
        platform is ScenarioWorld.LinuxPlatform or ScenarioWorld.AndroidPlatform;
}
