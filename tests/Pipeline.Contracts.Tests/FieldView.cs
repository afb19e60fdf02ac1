using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Avro.Generic;
using Pipeline.Contracts.Avro;
using Pipeline.Testing;

namespace Pipeline.Contracts.Tests;

/// <summary>Flattens a record, whichever implementation produced it, into schema field name →
/// canonical text, so values decoded by different Avro implementations can be compared.</summary>
internal static class FieldView
{
    public static Dictionary<string, string> Of(object record)
    {
        var schema = ContractRegistry.For(record.GetType());
        var fields = JsonDocument.Parse(schema.Json).RootElement.GetProperty("fields");
        var view = new Dictionary<string, string>();
        foreach (var field in fields.EnumerateArray())
        {
            var name = field.GetProperty("name").GetString()!;
            var property = record.GetType().GetProperty(char.ToUpperInvariant(name[0]) + name[1..], BindingFlags.Public | BindingFlags.Instance)
                ?? throw new InvalidOperationException($"{record.GetType().Name} has no property for schema field '{name}'");
            view[name] = Text(property.GetValue(record));
        }
        return view;
    }

    public static Dictionary<string, string> Of(GenericRecord record) =>
        record.Schema.Fields.ToDictionary(f => f.Name, f => Text(record[f.Name]));

    public static Dictionary<string, string> Of(JsonElement datum) =>
        datum.EnumerateObject().ToDictionary(p => p.Name, p => Text(p.Value));

    private static string Text(object? value) => value switch
    {
        null => "null",
        string s => s,
        int or long => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        DateTime t => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        byte[] b => Convert.ToHexStringLower(b),
        NamedValue nv => $"{nv.Name}={Text(nv.Value)}",
        GenericRecord g => $"{Text(g["name"])}={Text(g["value"])}",
        JsonElement e => Text(e),
        System.Collections.IEnumerable items => "[" + string.Join(",", items.Cast<object?>().Select(Text)) + "]",
        _ => throw new InvalidOperationException($"no text form for {value.GetType().Name}"),
    };

    // The Python side writes bytes as hex strings prefixed "hex:", timestamps as epoch ms, and
    // NamedValue items as {"name", "value"} objects.
    private static string Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.String when e.GetString()!.StartsWith("hex:", StringComparison.Ordinal) => e.GetString()![4..],
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Number when e.TryGetInt64(out var l) && !e.GetRawText().Contains('.') && !e.GetRawText().Contains('e') => l.ToString(CultureInfo.InvariantCulture),
        JsonValueKind.Number => e.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        JsonValueKind.Array => "[" + string.Join(",", e.EnumerateArray().Select(Text)) + "]",
        JsonValueKind.Object => $"{Text(e.GetProperty("name"))}={e.GetProperty("value").GetDouble().ToString("R", CultureInfo.InvariantCulture)}",
        _ => e.GetRawText(),
    };
}
