using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>The coordinator opens a federated round (schemas/RoundAnnouncement.avsc).</summary>
public sealed record RoundAnnouncement : IAvroRecord<RoundAnnouncement>
{
    public static string SchemaName => "RoundAnnouncement";

    public required string ModelName { get; init; }
    public required long Round { get; init; }
    /// <summary>Global model version participants start from; 0 when none exists yet.</summary>
    public required long BaseVersion { get; init; }
    public required string DetectorKind { get; init; }
    public required string Stream { get; init; }
    public required IReadOnlyList<string> SelectedParticipants { get; init; }
    public required int MinParticipants { get; init; }
    public required DateTimeOffset Deadline { get; init; }
    public required int LocalEpochs { get; init; }
    public required int BatchSize { get; init; }
    public required double LearningRate { get; init; }
    public required DateTimeOffset AnnouncedAt { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(ModelName);
        writer.WriteLong(Round);
        writer.WriteLong(BaseVersion);
        writer.WriteString(DetectorKind);
        writer.WriteString(Stream);
        writer.WriteArray(SelectedParticipants, static (w, s) => w.WriteString(s));
        writer.WriteInt(MinParticipants);
        writer.WriteTimestampMillis(Deadline);
        writer.WriteInt(LocalEpochs);
        writer.WriteInt(BatchSize);
        writer.WriteDouble(LearningRate);
        writer.WriteTimestampMillis(AnnouncedAt);
    }

    public static RoundAnnouncement ReadBody(ref AvroReader reader) => new()
    {
        ModelName = reader.ReadString("modelName"),
        Round = reader.ReadLong("round"),
        BaseVersion = reader.ReadLong("baseVersion"),
        DetectorKind = reader.ReadString("detectorKind"),
        Stream = reader.ReadString("stream"),
        SelectedParticipants = reader.ReadArray("selectedParticipants", static (ref r) => r.ReadString("selectedParticipants")),
        MinParticipants = reader.ReadInt("minParticipants"),
        Deadline = reader.ReadTimestampMillis("deadline"),
        LocalEpochs = reader.ReadInt("localEpochs"),
        BatchSize = reader.ReadInt("batchSize"),
        LearningRate = reader.ReadDouble("learningRate"),
        AnnouncedAt = reader.ReadTimestampMillis("announcedAt"),
    };
}
