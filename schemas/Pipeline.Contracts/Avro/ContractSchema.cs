namespace Pipeline.Contracts.Avro;

/// <summary>One contract schema as shipped in schemas/*.avsc.</summary>
/// <param name="Name">Schema name, e.g. <c>BlockEvent</c>.</param>
/// <param name="ClrType">The C# record that encodes it.</param>
/// <param name="Json">The .avsc text.</param>
/// <param name="CanonicalForm">Avro's Parsing Canonical Form of the schema.</param>
/// <param name="Fingerprint">CRC-64-AVRO of the canonical form.</param>
public sealed record ContractSchema(string Name, Type ClrType, string Json, string CanonicalForm, ulong Fingerprint);
