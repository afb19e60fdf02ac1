using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>Allow or deny for one execution, for enforcement agents (schemas/ExecutionVerdict.avsc).</summary>
public sealed record ExecutionVerdict : IAvroRecord<ExecutionVerdict>
{
    public static string SchemaName => "ExecutionVerdict";

    public required string EndpointId { get; init; }
    public required string UserId { get; init; }
    public required string LaunchId { get; init; }
    public required string Sha256 { get; init; }
    public required string AppName { get; init; }
    /// <summary>"allow" or "deny".</summary>
    public required string Decision { get; init; }
    public required string Reason { get; init; }
    /// <summary>The ledger peer that answered; null when none did.</summary>
    public string? PeerId { get; init; }
    public required long LatencyMicros { get; init; }
    public required DateTimeOffset EventTime { get; init; }
    public required DateTimeOffset DecidedTime { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(EndpointId);
        writer.WriteString(UserId);
        writer.WriteString(LaunchId);
        writer.WriteString(Sha256);
        writer.WriteString(AppName);
        writer.WriteString(Decision);
        writer.WriteString(Reason);
        writer.WriteNullableString(PeerId);
        writer.WriteLong(LatencyMicros);
        writer.WriteTimestampMillis(EventTime);
        writer.WriteTimestampMillis(DecidedTime);
    }

    public static ExecutionVerdict ReadBody(ref AvroReader reader) => new()
    {
        EndpointId = reader.ReadString("endpointId"),
        UserId = reader.ReadString("userId"),
        LaunchId = reader.ReadString("launchId"),
        Sha256 = reader.ReadString("sha256"),
        AppName = reader.ReadString("appName"),
        Decision = reader.ReadString("decision"),
        Reason = reader.ReadString("reason"),
        PeerId = reader.ReadNullableString("peerId"),
        LatencyMicros = reader.ReadLong("latencyMicros"),
        EventTime = reader.ReadTimestampMillis("eventTime"),
        DecidedTime = reader.ReadTimestampMillis("decidedTime"),
    };
}
