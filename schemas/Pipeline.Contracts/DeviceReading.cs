using System.Runtime.CompilerServices;
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

    // Once per reading on the scorer's path: optimised from the first call (a one-CPU host would otherwise keep it in
    // tier 0; docs/benchmarks-processing.md). The four ids recur in every reading of a device, so they come from the
    // reader's string cache.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DeviceReading ReadBody(ref AvroReader reader) => new()
    {
        ClusterId = reader.ReadRepeatedString("clusterId"),
        FactoryId = reader.ReadRepeatedString("factoryId"),
        DeviceId = reader.ReadRepeatedString("deviceId"),
        DeviceType = reader.ReadRepeatedString("deviceType"),
        Sequence = reader.ReadLong("sequence"),
        Timestamp = reader.ReadTimestampMillis("timestamp"),
        Measurements = reader.ReadArray("measurements", NamedValue.Read),
    };
}
