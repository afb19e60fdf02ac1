using System.Runtime.CompilerServices;
using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>A named number: a sensor measurement, a metric or a feature's contribution to a score.</summary>
public sealed record NamedValue(string Name, double Value)
{
    /// <summary>The value of the first entry named <paramref name="name"/> in <paramref name="values"/> (a model's
    /// metrics, an update's local metrics), or null when there is none.</summary>
    public static double? Find(IEnumerable<NamedValue> values, string name) =>
        values.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.Ordinal))?.Value;

    internal static void Write(AvroWriter writer, NamedValue item)
    {
        writer.WriteString(item.Name);
        writer.WriteDouble(item.Value);
    }

    // Once per measurement on the scorer's path; names repeat in every message, so they come from the string cache.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static NamedValue Read(ref AvroReader reader) =>
        new(reader.ReadRepeatedString("name"), reader.ReadDouble("value"));
}
