using Pipeline.Producers.Scenarios;

namespace Pipeline.Producers.Replay;

/// <summary>Reads and validates replay mapping files; problems name file, line and field.</summary>
public static class ReplayMappingLoader
{
    public static ReplayMapping Load(string path) => Parse(JsonFileLoader.Read(path), path);

    public static ReplayMapping Parse(ReadOnlySpan<byte> utf8, string source) =>
        JsonFileLoader.Parse<ReplayMapping>(utf8, source, "a mapping object", FirstError);

    private static (string Path, string Message)? FirstError(ReplayMapping m)
    {
        if (!ContractFields.InputTopics.Contains(m.Topic))
        {
            return ("$.topic", $"unknown topic \"{m.Topic}\"; expected one of {string.Join(", ", ContractFields.InputTopics)}");
        }
        if (m.Format is not (null or "csv" or "jsonl"))
        {
            return ("$.format", $"must be \"csv\" or \"jsonl\", was \"{m.Format}\"");
        }
        if (m.Delimiter is null || m.Delimiter.Length != 1)
        {
            return ("$.delimiter", "must be exactly one character");
        }
        if (string.IsNullOrWhiteSpace(m.TimestampColumn))
        {
            return ("$.timestampColumn", "must name a column");
        }
        if (string.IsNullOrWhiteSpace(m.TimestampFormat))
        {
            return ("$.timestampFormat", "must be iso, unix-ms, unix-s or a .NET date format");
        }
        if (m.Fields is null)
        {
            return ("$.fields", "must not be null");
        }
        var fields = ContractFields.For(m.Topic);
        foreach (var (name, source) in m.Fields)
        {
            if (!fields.ContainsKey(name))
            {
                return ($"$.fields.{name}", $"\"{name}\" is not a field of {m.Topic}; expected one of {string.Join(", ", fields.Keys)}");
            }
            if (string.IsNullOrEmpty(source))
            {
                return ($"$.fields.{name}", "must name a column or be \"=constant\"");
            }
        }
        foreach (var (name, (_, required)) in fields)
        {
            if (required && !m.Fields.ContainsKey(name))
            {
                return ("$.fields", $"{m.Topic} needs field \"{name}\": map it to a column or to \"=constant\"");
            }
        }
        if (m.Measurements is not null && m.Topic != Pipeline.Contracts.Topics.IiotTelemetry)
        {
            return ("$.measurements", $"only {Pipeline.Contracts.Topics.IiotTelemetry} has measurements");
        }
        if (m.Measurements is { Count: 0 })
        {
            return ("$.measurements", "must list at least one column (or be left out to use every unmapped column)");
        }
        return null;
    }
}
