using System.Collections.Frozen;
using System.Reflection;
using Avro;

namespace Pipeline.Contracts.Avro;

/// <summary>The fingerprint → schema registry of every contract in schemas/.</summary>
/// <remarks>Built once from the .avsc files embedded in this assembly; thread-safe.</remarks>
public static class ContractRegistry
{
    private delegate object BoxedDecoder(ReadOnlySpan<byte> body);

    private static readonly FrozenDictionary<ulong, (ContractSchema Schema, BoxedDecoder Decode)> ByPrint;
    private static readonly FrozenDictionary<Type, ContractSchema> ByType;

    static ContractRegistry()
    {
        var entries = new[]
        {
            Entry<BlockEvent>(),
            Entry<TransactionEvent>(),
            Entry<DeviceReading>(),
            Entry<EndpointExecution>(),
            Entry<Alert>(),
            Entry<ExecutionVerdict>(),
            Entry<RoundAnnouncement>(),
            Entry<ModelUpdate>(),
            Entry<GlobalModel>(),
            Entry<ScaleRequest>(),
        };
        ByPrint = entries.ToFrozenDictionary(e => e.Schema.Fingerprint);
        ByType = entries.ToFrozenDictionary(e => e.Schema.ClrType, e => e.Schema);
        All = [.. entries.Select(e => e.Schema)];
    }

    /// <summary>Every contract schema, in topic-table order.</summary>
    public static IReadOnlyList<ContractSchema> All { get; }

    public static ContractSchema For<T>() where T : IAvroRecord<T> => ByType[typeof(T)];

    public static ContractSchema For(Type type) =>
        ByType.TryGetValue(type, out var schema)
            ? schema
            : throw new ArgumentException($"{type.Name} is not a contract type", nameof(type));

    public static bool TryGet(ulong fingerprint, out ContractSchema schema)
    {
        var found = ByPrint.TryGetValue(fingerprint, out var entry);
        schema = entry.Schema;
        return found;
    }

    /// <summary>Decodes a body whose writer schema is known by fingerprint, without naming the type.</summary>
    internal static object DecodeBody(ulong fingerprint, ReadOnlySpan<byte> body) => ByPrint[fingerprint].Decode(body);

    /// <summary>Reads an embedded .avsc file by schema name.</summary>
    public static string ReadSchemaJson(string name)
    {
        using var stream = typeof(ContractRegistry).Assembly.GetManifestResourceStream($"schemas/{name}.avsc")
            ?? throw new InvalidOperationException($"schema {name}.avsc is not embedded in {typeof(ContractRegistry).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static (ContractSchema Schema, BoxedDecoder Decode) Entry<T>() where T : IAvroRecord<T>
    {
        var json = ReadSchemaJson(T.SchemaName);
        var canonical = SchemaNormalization.ToParsingForm(Schema.Parse(json));
        var fingerprint = Crc64Avro.Compute(System.Text.Encoding.UTF8.GetBytes(canonical));
        var schema = new ContractSchema(T.SchemaName, typeof(T), json, canonical, fingerprint);
        return (schema, body => AvroSingleObject.DecodeBody<T>(body));
    }
}
