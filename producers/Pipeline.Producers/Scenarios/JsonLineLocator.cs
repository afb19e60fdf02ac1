using System.Text.Json;

namespace Pipeline.Producers.Scenarios;

/// <summary>Finds the line of a JSON path (as System.Text.Json writes it: <c>$.a.b[2].c</c>) in a document,
/// so a validation error can point at the line the user must fix.</summary>
internal static class JsonLineLocator
{
    /// <summary>Line of the path's property (or of its closest ancestor present in the file); null if none.</summary>
    public static int? Find(ReadOnlySpan<byte> utf8, string path)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var stack = new List<(string Path, bool IsArray, int Index)>();
        string? property = null;
        long propertyStart = 0;
        long? best = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    property = reader.GetString();
                    propertyStart = reader.TokenStartIndex;
                    continue;
                }
                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                }
                string current;
                long start;
                if (stack.Count == 0)
                {
                    current = "$";
                    start = reader.TokenStartIndex;
                }
                else
                {
                    var parent = stack[^1];
                    if (parent.IsArray)
                    {
                        current = $"{parent.Path}[{parent.Index}]";
                        stack[^1] = parent with { Index = parent.Index + 1 };
                        start = reader.TokenStartIndex;
                    }
                    else
                    {
                        current = $"{parent.Path}.{property}";
                        start = propertyStart;
                    }
                }
                if (string.Equals(current, path, StringComparison.OrdinalIgnoreCase))
                {
                    return LineOf(utf8, start);
                }
                if (path.StartsWith(current, StringComparison.OrdinalIgnoreCase)
                    && path.Length > current.Length && path[current.Length] is '.' or '[')
                {
                    best = start;
                }
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    stack.Add((current, reader.TokenType == JsonTokenType.StartArray, 0));
                }
            }
        }
        catch (JsonException)
        {
            // The document parsed once already; a failure here only loses the line number.
        }
        return best is { } b ? LineOf(utf8, b) : null;
    }

    private static int LineOf(ReadOnlySpan<byte> utf8, long offset) => utf8[..(int)offset].Count((byte)'\n') + 1;
}
