using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>A named number: a sensor measurement, a metric or a feature's contribution to a score.</summary>
public sealed record NamedValue(string Name, double Value)
{
    internal static void Write(AvroWriter writer, NamedValue item)
    {
        writer.WriteString(item.Name);
        writer.WriteDouble(item.Value);
    }

    internal static NamedValue Read(ref AvroReader reader) =>
        new(reader.ReadString("name"), reader.ReadDouble("value"));
}
