using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>A block appended to (or offered to) a cluster's chain (schemas/BlockEvent.avsc).</summary>
public sealed record BlockEvent : IAvroRecord<BlockEvent>
{
    public static string SchemaName => "BlockEvent";

    public required string ClusterId { get; init; }
    public required long Height { get; init; }
    public required string BlockHash { get; init; }
    public required string PreviousHash { get; init; }
    public required string MinerId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required int TransactionCount { get; init; }
    public required int SizeBytes { get; init; }
    public required double Difficulty { get; init; }
    public required long Nonce { get; init; }
    public required double TotalValue { get; init; }
    public required double TotalFees { get; init; }
    public required double Reward { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(ClusterId);
        writer.WriteLong(Height);
        writer.WriteString(BlockHash);
        writer.WriteString(PreviousHash);
        writer.WriteString(MinerId);
        writer.WriteTimestampMillis(Timestamp);
        writer.WriteInt(TransactionCount);
        writer.WriteInt(SizeBytes);
        writer.WriteDouble(Difficulty);
        writer.WriteLong(Nonce);
        writer.WriteDouble(TotalValue);
        writer.WriteDouble(TotalFees);
        writer.WriteDouble(Reward);
    }

    public static BlockEvent ReadBody(ref AvroReader reader) => new()
    {
        ClusterId = reader.ReadString("clusterId"),
        Height = reader.ReadLong("height"),
        BlockHash = reader.ReadString("blockHash"),
        PreviousHash = reader.ReadString("previousHash"),
        MinerId = reader.ReadString("minerId"),
        Timestamp = reader.ReadTimestampMillis("timestamp"),
        TransactionCount = reader.ReadInt("transactionCount"),
        SizeBytes = reader.ReadInt("sizeBytes"),
        Difficulty = reader.ReadDouble("difficulty"),
        Nonce = reader.ReadLong("nonce"),
        TotalValue = reader.ReadDouble("totalValue"),
        TotalFees = reader.ReadDouble("totalFees"),
        Reward = reader.ReadDouble("reward"),
    };
}
