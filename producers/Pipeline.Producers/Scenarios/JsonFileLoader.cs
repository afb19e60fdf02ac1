using System.Text.Json;

namespace Pipeline.Producers.Scenarios;

/// <summary>Reads the producers' JSON files (scenarios, replay mappings) with <see cref="ScenarioLoader.Options"/>;
/// every problem is a <see cref="ScenarioFormatException"/> naming the file, the line and the field.</summary>
internal static class JsonFileLoader
{
    /// <summary>The file's bytes.</summary>
    /// <exception cref="ScenarioFormatException">The file cannot be read.</exception>
    public static byte[] Read(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFormatException(path, null, null, $"cannot read the file: {ex.Message}", ex);
        }
    }

    /// <summary>Parses a <typeparamref name="T"/> and checks it with <paramref name="firstError"/> (the JSON path and
    /// message of its first problem, or null); <paramref name="source"/> names the document in errors,
    /// <paramref name="expected"/> says what a null document should have been.</summary>
    /// <exception cref="ScenarioFormatException">The JSON is malformed, null or fails the check.</exception>
    public static T Parse<T>(ReadOnlySpan<byte> utf8, string source, string expected, Func<T, (string Path, string Message)?> firstError)
        where T : class
    {
        // Editors on some platforms save a UTF-8 byte order mark; the JSON reader refuses it.
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8 = utf8[3..];
        }
        T? document;
        try
        {
            document = JsonSerializer.Deserialize<T>(utf8, ScenarioLoader.Options);
        }
        catch (JsonException ex)
        {
            throw new ScenarioFormatException(source, ex.LineNumber is { } l ? (int)l + 1 : null, ex.Path, JsonErrors.Describe(ex), ex);
        }
        if (document is null)
        {
            throw new ScenarioFormatException(source, 1, "$", $"the document is null; expected {expected}");
        }
        if (firstError(document) is { } e)
        {
            throw new ScenarioFormatException(source, JsonLineLocator.Find(utf8, e.Path), e.Path, e.Message);
        }
        return document;
    }
}
