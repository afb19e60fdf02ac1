using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>One reading of an IIoT device's sensors and actuators (schemas/DeviceReading.avsc).</summary>
public sealed record DeviceReading : IAvroRecord<DeviceReading>
{
    public static string SchemaName => "DeviceReading";

    public required string ClusterId { get; init; }
    public required string FactoryId { get; init; }
    public required string DeviceId { get; init; }
    public required string DeviceType { get; init; }
    /// <summary>Per-device counter.</summary>
    public required long Sequence { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>Ordered sensor readings and actuator states (0/1).</summary>
    public required IReadOnlyList<NamedValue> Measurements { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(ClusterId);
        writer.WriteString(FactoryId);
        writer.WriteString(DeviceId);
        writer.WriteString(DeviceType);
        writer.WriteLong(Sequence);
        writer.WriteTimestampMillis(Timestamp);
        writer.WriteArray(Measurements, NamedValue.Write);
    }

    public static DeviceReading ReadBody(ref AvroReader reader) => new()
    {
        ClusterId = reader.ReadString("clusterId"),
        FactoryId = reader.ReadString("factoryId"),
        DeviceId = reader.ReadString("deviceId"),
        DeviceType = reader.ReadString("deviceType"),
        Sequence = reader.ReadLong("sequence"),
        Timestamp = reader.ReadTimestampMillis("timestamp"),
        Measurements = reader.ReadArray("measurements", NamedValue.Read),
    };
}
