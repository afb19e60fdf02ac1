using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>A detection (schemas/Alert.avsc). The id is derived from the source position and the
/// model version (<see cref="AlertIds"/>), so a consumer can recognise replays.</summary>
public sealed record Alert : IAvroRecord<Alert>
{
    public static string SchemaName => "Alert";

    public required string AlertId { get; init; }
    public required string EntityKey { get; init; }
    public required string Stream { get; init; }
    /// <summary>anomaly, unknown_hash, admin_misuse, hash_mismatch or lookup_failure.</summary>
    public required string AlertType { get; init; }
    public required string Detector { get; init; }
    public required double Score { get; init; }
    public required double Threshold { get; init; }
    public required long ModelVersion { get; init; }
    public required DateTimeOffset EventTime { get; init; }
    public required DateTimeOffset DetectionTime { get; init; }
    public required string SourceTopic { get; init; }
    public required int SourcePartition { get; init; }
    public required long SourceOffset { get; init; }
    public IReadOnlyList<NamedValue> TopFeatures { get; init; } = [];
    public string Detail { get; init; } = "";

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(AlertId);
        writer.WriteString(EntityKey);
        writer.WriteString(Stream);
        writer.WriteString(AlertType);
        writer.WriteString(Detector);
        writer.WriteDouble(Score);
        writer.WriteDouble(Threshold);
        writer.WriteLong(ModelVersion);
        writer.WriteTimestampMillis(EventTime);
        writer.WriteTimestampMillis(DetectionTime);
        writer.WriteString(SourceTopic);
        writer.WriteInt(SourcePartition);
        writer.WriteLong(SourceOffset);
        writer.WriteArray(TopFeatures, NamedValue.Write);
        writer.WriteString(Detail);
    }

    public static Alert ReadBody(ref AvroReader reader) => new()
    {
        AlertId = reader.ReadString("alertId"),
        EntityKey = reader.ReadString("entityKey"),
        Stream = reader.ReadString("stream"),
        AlertType = reader.ReadString("alertType"),
        Detector = reader.ReadString("detector"),
        Score = reader.ReadDouble("score"),
        Threshold = reader.ReadDouble("threshold"),
        ModelVersion = reader.ReadLong("modelVersion"),
        EventTime = reader.ReadTimestampMillis("eventTime"),
        DetectionTime = reader.ReadTimestampMillis("detectionTime"),
        SourceTopic = reader.ReadString("sourceTopic"),
        SourcePartition = reader.ReadInt("sourcePartition"),
        SourceOffset = reader.ReadLong("sourceOffset"),
        TopFeatures = reader.ReadArray("topFeatures", NamedValue.Read),
        Detail = reader.ReadString("detail"),
    };
}
