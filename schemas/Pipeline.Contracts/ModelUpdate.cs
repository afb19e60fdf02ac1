using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>A participant's locally trained parameters for one round (schemas/ModelUpdate.avsc).</summary>
public sealed record ModelUpdate : IAvroRecord<ModelUpdate>
{
    public static string SchemaName => "ModelUpdate";

    public required string ModelName { get; init; }
    public required long Round { get; init; }
    public required long BaseVersion { get; init; }
    public required string ParticipantId { get; init; }
    public required string ClusterId { get; init; }
    public required string DetectorKind { get; init; }
    public required long SampleCount { get; init; }
    public required byte[] Parameters { get; init; }
    /// <summary>none, float16 or int8.</summary>
    public required string Compression { get; init; }
    public IReadOnlyList<NamedValue> LocalMetrics { get; init; } = [];
    /// <summary>Unique per update; a repeated nonce is a replay.</summary>
    public required string Nonce { get; init; }
    /// <summary>The participant's signature over the other fields.</summary>
    public byte[] Signature { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(ModelName);
        writer.WriteLong(Round);
        writer.WriteLong(BaseVersion);
        writer.WriteString(ParticipantId);
        writer.WriteString(ClusterId);
        writer.WriteString(DetectorKind);
        writer.WriteLong(SampleCount);
        writer.WriteBytes(Parameters);
        writer.WriteString(Compression);
        writer.WriteArray(LocalMetrics, NamedValue.Write);
        writer.WriteString(Nonce);
        writer.WriteBytes(Signature);
        writer.WriteTimestampMillis(CreatedAt);
    }

    public static ModelUpdate ReadBody(ref AvroReader reader) => new()
    {
        ModelName = reader.ReadString("modelName"),
        Round = reader.ReadLong("round"),
        BaseVersion = reader.ReadLong("baseVersion"),
        ParticipantId = reader.ReadString("participantId"),
        ClusterId = reader.ReadString("clusterId"),
        DetectorKind = reader.ReadString("detectorKind"),
        SampleCount = reader.ReadLong("sampleCount"),
        Parameters = reader.ReadBytes("parameters"),
        Compression = reader.ReadString("compression"),
        LocalMetrics = reader.ReadArray("localMetrics", NamedValue.Read),
        Nonce = reader.ReadString("nonce"),
        Signature = reader.ReadBytes("signature"),
        CreatedAt = reader.ReadTimestampMillis("createdAt"),
    };
}
