using System.Text.Json;
using Avro.Generic;
using Avro.IO;
using Pipeline.Contracts.Avro;
using Pipeline.Testing;

namespace Pipeline.Contracts.Tests;

public sealed class SingleObjectUnitTests
{
    public static TheoryData<string> Samples => ContractSamples.Names;

    [Theory]
    [MemberData(nameof(Samples))]
    public void Decode_EncodedSample_RoundTripsEveryField(string name)
    {
        var sample = ContractSamples.ByName(name);
        var bytes = ContractSamples.Encode(sample);

        var decoded = AvroSingleObject.Decode(bytes);

        Assert.IsType(sample.GetType(), decoded);
        Assert.Equal(FieldView.Of(sample), FieldView.Of(decoded));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Encode_Sample_StartsWithMagicAndWriterFingerprint(string name)
    {
        var sample = ContractSamples.ByName(name);
        var bytes = ContractSamples.Encode(sample);

        Assert.Equal([0xC3, 0x01], bytes[..2]);
        Assert.Equal(ContractRegistry.For(sample.GetType()).Fingerprint, BitConverter.ToUInt64(bytes, 2));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Encode_Sample_ApacheAvroGenericReaderAgreesFieldByFieldAndReencodesIdentically(string name)
    {
        var sample = ContractSamples.ByName(name);
        var bytes = ContractSamples.Encode(sample);
        var schema = global::Avro.Schema.Parse(ContractRegistry.For(sample.GetType()).Json);
        var body = new MemoryStream(bytes, AvroSingleObject.HeaderLength, bytes.Length - AvroSingleObject.HeaderLength);

        var generic = new GenericDatumReader<GenericRecord>(schema, schema).Read(null!, new BinaryDecoder(body));
        Assert.Equal(body.Length, body.Position);
        Assert.Equal(FieldView.Of(sample), FieldView.Of(generic));

        var reencoded = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(schema).Write(generic, new BinaryEncoder(reencoded));
        Assert.Equal(bytes[AvroSingleObject.HeaderLength..], reencoded.ToArray());
    }

    [Fact]
    public void DecodeOfT_OtherContractType_ThrowsUnexpectedSchemaNamingBoth()
    {
        var bytes = AvroSingleObject.Encode(ContractSamples.Block);

        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode<DeviceReading>(bytes));

        Assert.Equal(ContractErrorReason.UnexpectedSchema, error.Reason);
        Assert.Contains("DeviceReading", error.Message, StringComparison.Ordinal);
        Assert.Contains("BlockEvent", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    public void Decode_ShorterThanHeader_ThrowsTruncated(int length)
    {
        var bytes = AvroSingleObject.Encode(ContractSamples.Scale)[..length];

        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode(bytes));

        Assert.Equal(ContractErrorReason.Truncated, error.Reason);
        Assert.Equal("truncated", error.ReasonCode);
    }

    [Fact]
    public void Decode_WrongMagic_ThrowsBadMagic()
    {
        var bytes = AvroSingleObject.Encode(ContractSamples.Scale);
        bytes[0] = 0x7B; // '{' — somebody produced JSON

        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode(bytes));

        Assert.Equal(ContractErrorReason.BadMagic, error.Reason);
        Assert.Contains("7B 01", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnknownFingerprint_ThrowsUnknownFingerprintWithTheValue()
    {
        var bytes = AvroSingleObject.Encode(ContractSamples.Scale);
        BitConverter.TryWriteBytes(bytes.AsSpan(2), 0x0123456789ABCDEFUL);

        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode(bytes));

        Assert.Equal(ContractErrorReason.UnknownFingerprint, error.Reason);
        Assert.Contains("0123456789ABCDEF", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_BodyCutShort_ThrowsMalformedBodyNamingTheField()
    {
        var bytes = AvroSingleObject.Encode(ContractSamples.Block);

        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode(bytes[..^4]));

        Assert.Equal(ContractErrorReason.MalformedBody, error.Reason);
        Assert.Contains("BlockEvent.reward", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TrailingBytes_ThrowsMalformedBody()
    {
        byte[] bytes = [.. AvroSingleObject.Encode(ContractSamples.Scale), 0x00];

        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode(bytes));

        Assert.Equal(ContractErrorReason.MalformedBody, error.Reason);
        Assert.Contains("unexpected bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnionBranchOutOfRange_ThrowsMalformedBody()
    {
        var bytes = AvroSingleObject.Encode(ContractSamples.VerdictWithoutPeer);
        // The body of a verdict whose peerId is null ends with: branch 0, latency, two timestamps.
        var writer = new AvroWriter();
        writer.WriteLong(850);
        writer.WriteTimestampMillis(ContractSamples.Verdict.EventTime);
        writer.WriteTimestampMillis(ContractSamples.Verdict.DecidedTime);
        var branchIndex = bytes.Length - writer.Length - 1;
        Assert.Equal(0, bytes[branchIndex]);
        bytes[branchIndex] = 0x04; // zig-zag 2: a third branch the union does not have

        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode(bytes));

        Assert.Equal(ContractErrorReason.MalformedBody, error.Reason);
        Assert.Contains("peerId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_RandomGarbageAfterValidHeader_NeverThrowsAnythingButContractException()
    {
        var header = AvroSingleObject.Encode(ContractSamples.Reading)[..AvroSingleObject.HeaderLength];
        var random = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var body = new byte[random.Next(0, 64)];
            random.NextBytes(body);
            try
            {
                AvroSingleObject.Decode([.. header, .. body]);
            }
            catch (AvroContractException)
            {
                // expected for most inputs; anything else escapes and fails the test
            }
        }
    }

    [Fact]
    public void Decode_Alert_KeepsTheDeterministicId()
    {
        var again = AlertIds.Create(Topics.IiotTelemetry, 3, 1_000_000, 7, "anomaly");

        var decoded = AvroSingleObject.Decode<Alert>(AvroSingleObject.Encode(ContractSamples.Alert));

        Assert.Equal(again, decoded.AlertId);
        Assert.NotEqual(again, AlertIds.Create(Topics.IiotTelemetry, 3, 1_000_000, 8, "anomaly"));
        Assert.Equal(32, again.Length);
    }

    [Fact]
    public void Topics_Catalogue_CoversEveryContractAndCompactsOnlyTheGlobalModel()
    {
        var valueTypes = Topics.All.Where(t => t.ValueType is not null).Select(t => t.ValueType!).ToHashSet();
        Assert.True(ContractRegistry.All.All(s => valueTypes.Contains(s.ClrType)));
        Assert.Equal([Topics.FlGlobalModel], Topics.All.Where(t => t.CleanupPolicy == "compact").Select(t => t.Name));
        Assert.Contains(Topics.All, t => t.Name == "iiot.telemetry.dlq");
        Assert.Equal("x.alerts", Topics.Find(Topics.Alerts).WithPrefix("x.").Name);
    }

    [Fact]
    public void ReadSchemaJson_EverySchema_IsTheAvscFileInTheRepository()
    {
        var dir = Path.Combine(RepositoryRoot(), "schemas");
        foreach (var schema in ContractRegistry.All)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(dir, schema.Name + ".avsc")), schema.Json);
            Assert.Equal(schema.Name, JsonDocument.Parse(schema.Json).RootElement.GetProperty("name").GetString());
        }
        Assert.Equal(ContractRegistry.All.Count, Directory.GetFiles(dir, "*.avsc").Length);
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Pipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
