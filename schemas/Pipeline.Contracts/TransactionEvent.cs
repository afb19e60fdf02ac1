using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>A transaction between factory and device accounts (schemas/TransactionEvent.avsc).</summary>
public sealed record TransactionEvent : IAvroRecord<TransactionEvent>
{
    public static string SchemaName => "TransactionEvent";

    public required string ClusterId { get; init; }
    public required string TransactionId { get; init; }
    /// <summary>Height of the block that confirmed it; null while unconfirmed.</summary>
    public long? BlockHeight { get; init; }
    public required string FromAccount { get; init; }
    public required string ToAccount { get; init; }
    public required double Amount { get; init; }
    public required double Fee { get; init; }
    public required int SizeBytes { get; init; }
    public required int InputCount { get; init; }
    public required int OutputCount { get; init; }
    public required long AccountNonce { get; init; }
    /// <summary>Bytes of free-form data carried by the transaction.</summary>
    public required int PayloadBytes { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(ClusterId);
        writer.WriteString(TransactionId);
        writer.WriteNullableLong(BlockHeight);
        writer.WriteString(FromAccount);
        writer.WriteString(ToAccount);
        writer.WriteDouble(Amount);
        writer.WriteDouble(Fee);
        writer.WriteInt(SizeBytes);
        writer.WriteInt(InputCount);
        writer.WriteInt(OutputCount);
        writer.WriteLong(AccountNonce);
        writer.WriteInt(PayloadBytes);
        writer.WriteTimestampMillis(Timestamp);
    }

    public static TransactionEvent ReadBody(ref AvroReader reader) => new()
    {
        ClusterId = reader.ReadString("clusterId"),
        TransactionId = reader.ReadString("transactionId"),
        BlockHeight = reader.ReadNullableLong("blockHeight"),
        FromAccount = reader.ReadString("fromAccount"),
        ToAccount = reader.ReadString("toAccount"),
        Amount = reader.ReadDouble("amount"),
        Fee = reader.ReadDouble("fee"),
        SizeBytes = reader.ReadInt("sizeBytes"),
        InputCount = reader.ReadInt("inputCount"),
        OutputCount = reader.ReadInt("outputCount"),
        AccountNonce = reader.ReadLong("accountNonce"),
        PayloadBytes = reader.ReadInt("payloadBytes"),
        Timestamp = reader.ReadTimestampMillis("timestamp"),
    };
}
