namespace Pipeline.Producers.Replay;

/// <summary>
/// How the rows of a CSV or JSON-lines file become events of one topic. A field maps to a column
/// name, or to a constant when its value starts with '='. Format: docs/scenarios.md#replay-mapping.
/// </summary>
public sealed record ReplayMapping
{
    /// <summary>Target topic: chain.blocks, chain.transactions, iiot.telemetry or endpoint.executions.</summary>
    public required string Topic { get; init; }

    /// <summary>"csv" or "jsonl"; null means from the file extension (.jsonl/.ndjson/.json → jsonl, else csv).</summary>
    public string? Format { get; init; }

    /// <summary>CSV field separator (one character).</summary>
    public string Delimiter { get; init; } = ",";

    /// <summary>Column that holds the message key; null means the topic's key field (cluster, factory or endpoint id).</summary>
    public string? KeyColumn { get; init; }

    /// <summary>Column that holds the event time.</summary>
    public required string TimestampColumn { get; init; }

    /// <summary>"iso" (any ISO-8601 / round-trip text, default), "unix-ms", "unix-s", or a .NET exact format string.</summary>
    public string TimestampFormat { get; init; } = "iso";

    /// <summary>Optional column with the ground-truth label.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Optional translation of label-column values (e.g. "Attack" → "sensor_spoofing").</summary>
    public Dictionary<string, string>? Labels { get; init; }

    /// <summary>Contract field (camelCase) → column name, or "=constant".</summary>
    public Dictionary<string, string> Fields { get; init; } = [];

    /// <summary>DeviceReading only: the columns that become measurements, in order; null means every column no other setting uses.</summary>
    public IReadOnlyList<string>? Measurements { get; init; }
}
