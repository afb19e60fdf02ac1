using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>The peer index found no ready or available peer (schemas/ScaleRequest.avsc).</summary>
public sealed record ScaleRequest : IAvroRecord<ScaleRequest>
{
    public static string SchemaName => "ScaleRequest";

    public required string RequestId { get; init; }
    public required string PeerGroup { get; init; }
    public required string Strategy { get; init; }
    public required string Reason { get; init; }
    public required int ActivePeers { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(RequestId);
        writer.WriteString(PeerGroup);
        writer.WriteString(Strategy);
        writer.WriteString(Reason);
        writer.WriteInt(ActivePeers);
        writer.WriteTimestampMillis(RequestedAt);
    }

    public static ScaleRequest ReadBody(ref AvroReader reader) => new()
    {
        RequestId = reader.ReadString("requestId"),
        PeerGroup = reader.ReadString("peerGroup"),
        Strategy = reader.ReadString("strategy"),
        Reason = reader.ReadString("reason"),
        ActivePeers = reader.ReadInt("activePeers"),
        RequestedAt = reader.ReadTimestampMillis("requestedAt"),
    };
}
