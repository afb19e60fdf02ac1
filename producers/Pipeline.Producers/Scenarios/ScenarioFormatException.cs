namespace Pipeline.Producers.Scenarios;

/// <summary>A scenario or replay-mapping file that cannot be used: names the file, the line and the field.</summary>
public sealed class ScenarioFormatException : Exception
{
    public ScenarioFormatException(string filePath, int? line, string? field, string reason, Exception? inner = null)
        : base(Format(filePath, line, field, reason), inner)
    {
        FilePath = filePath;
        Line = line;
        Field = field;
        Reason = reason;
    }

    /// <summary>The file (or source name) that was read.</summary>
    public string FilePath { get; }

    /// <summary>1-based line of the offending field, when known.</summary>
    public int? Line { get; }

    /// <summary>JSON path of the offending field (e.g. <c>$.iiot.attacks.replay</c>), when known.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }

    private static string Format(string filePath, int? line, string? field, string reason)
    {
        var location = line is { } l ? $"{filePath}:{l}" : filePath;
        return field is null ? $"{location}: {reason}" : $"{location}: field {field}: {reason}";
    }
}
