using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>An aggregated model version, published on the compacted fl.global-model topic
/// (schemas/GlobalModel.avsc).</summary>
public sealed record GlobalModel : IAvroRecord<GlobalModel>
{
    public static string SchemaName => "GlobalModel";

    public required string ModelName { get; init; }
    public required long Version { get; init; }
    public required long Round { get; init; }
    public required string DetectorKind { get; init; }
    public required string Stream { get; init; }
    public required byte[] Model { get; init; }
    public required double Threshold { get; init; }
    public IReadOnlyList<string> Participants { get; init; } = [];
    public IReadOnlyList<NamedValue> Metrics { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(ModelName);
        writer.WriteLong(Version);
        writer.WriteLong(Round);
        writer.WriteString(DetectorKind);
        writer.WriteString(Stream);
        writer.WriteBytes(Model);
        writer.WriteDouble(Threshold);
        writer.WriteArray(Participants, static (w, s) => w.WriteString(s));
        writer.WriteArray(Metrics, NamedValue.Write);
        writer.WriteTimestampMillis(CreatedAt);
    }

    public static GlobalModel ReadBody(ref AvroReader reader) => new()
    {
        ModelName = reader.ReadString("modelName"),
        Version = reader.ReadLong("version"),
        Round = reader.ReadLong("round"),
        DetectorKind = reader.ReadString("detectorKind"),
        Stream = reader.ReadString("stream"),
        Model = reader.ReadBytes("model"),
        Threshold = reader.ReadDouble("threshold"),
        Participants = reader.ReadArray("participants", static (ref r) => r.ReadString("participants")),
        Metrics = reader.ReadArray("metrics", NamedValue.Read),
        CreatedAt = reader.ReadTimestampMillis("createdAt"),
    };
}
