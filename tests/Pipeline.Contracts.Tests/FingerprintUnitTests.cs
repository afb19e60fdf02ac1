using System.Text;
using Avro;
using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts.Tests;

public sealed class FingerprintUnitTests
{
    /// <summary>CRC-64-AVRO computed bit by bit, straight from the specification's definition
    /// (no table), so it shares no code with the production implementation.</summary>
    private static ulong SpecFingerprint(string canonicalForm)
    {
        const ulong Empty = 0xc15d213aa4d7a795UL;
        var fp = Empty;
        foreach (var b in Encoding.UTF8.GetBytes(canonicalForm))
        {
            fp ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                fp = (fp & 1) != 0 ? (fp >> 1) ^ Empty : fp >> 1;
            }
        }
        return fp;
    }

    [Fact]
    public void Compute_EmptyInput_IsSpecSeed()
    {
        Assert.Equal(0xc15d213aa4d7a795UL, Crc64Avro.Compute([]));
    }

    [Fact]
    public void Compute_PrimitiveSchemaInt_MatchesSpecAlgorithm()
    {
        // The canonical form of the schema "int" is the JSON string "int".
        Assert.Equal(SpecFingerprint("\"int\""), Crc64Avro.Compute("\"int\""u8));
    }

    [Fact]
    public void Registry_EveryContract_FingerprintEqualsSpecAlgorithmAndApacheAvro()
    {
        Assert.Equal(10, ContractRegistry.All.Count);
        foreach (var schema in ContractRegistry.All)
        {
            Assert.Equal(SpecFingerprint(schema.CanonicalForm), schema.Fingerprint);
            Assert.Equal((long)schema.Fingerprint, SchemaNormalization.ParsingFingerprint64(Schema.Parse(schema.Json)));
        }
    }

    [Fact]
    public void Registry_Fingerprints_AreDistinct()
    {
        Assert.Equal(ContractRegistry.All.Count, ContractRegistry.All.Select(s => s.Fingerprint).Distinct().Count());
    }

    [Fact]
    public void Registry_CanonicalForm_StripsDocsAndLogicalTypes()
    {
        var block = ContractRegistry.For<BlockEvent>();
        Assert.DoesNotContain("doc", block.CanonicalForm, StringComparison.Ordinal);
        Assert.StartsWith("{\"name\":\"pipeline.contracts.BlockEvent\",\"type\":\"record\"", block.CanonicalForm, StringComparison.Ordinal);
    }
}
