using System.Buffers.Binary;
using Pipeline.Contracts.Avro;
using Pipeline.Testing;

namespace Pipeline.Contracts.Tests;

/// <summary>The reading decode path's shortcuts: the shared string cache for ids and measurement names, and arrays
/// read without an intermediate list. They must decode exactly what the plain reader decodes.</summary>
public sealed class DecodePathUnitTests
{
    [Fact]
    public void Decode_SameReadingTwice_EqualReadingsSharingIdAndNameStrings()
    {
        var bytes = AvroSingleObject.Encode(ContractSamples.Reading);

        var first = AvroSingleObject.Decode<DeviceReading>(bytes);
        var second = AvroSingleObject.Decode<DeviceReading>(bytes);

        Assert.Equal(FieldView.Of(ContractSamples.Reading), FieldView.Of(first));
        Assert.Equal(FieldView.Of(first), FieldView.Of(second));
        Assert.Same(first.DeviceId, second.DeviceId);
        Assert.Same(first.ClusterId, second.ClusterId);
        Assert.Same(first.Measurements[2].Name, second.Measurements[2].Name);
    }

    [Fact]
    public void Decode_MoreDistinctIdsThanCacheSlots_EveryReadingKeepsItsOwnStrings()
    {
        // 3 × 6,000 distinct short strings in a 4,096-slot table: slots collide and get replaced all the time.
        var readings = Enumerable.Range(0, 6_000).Select(i => ContractSamples.Reading with
        {
            DeviceId = $"dev-{i}",
            DeviceType = i % 7 == 0 ? $"type-ä✓-{i}" : "tank",
            FactoryId = i % 11 == 0 ? new string('f', 70) + i : "factory-0",
            Measurements = [new($"m-{i}", i), new("level", -i), new($"m-{i + 1}", 0.5)],
        }).ToArray();
        var encoded = readings.Select(r => AvroSingleObject.Encode(r)).ToArray();

        foreach (var order in new[] { Enumerable.Range(0, readings.Length), Enumerable.Range(0, readings.Length).Reverse() })
        {
            foreach (var i in order)
            {
                var decoded = AvroSingleObject.Decode<DeviceReading>(encoded[i]);
                Assert.Equal(FieldView.Of(readings[i]), FieldView.Of(decoded));
            }
        }
    }

    [Fact]
    public void Decode_InvalidUtf8InDeviceId_ThrowsMalformedNamingTheFieldEveryTime()
    {
        var bytes = AvroSingleObject.Encode(ContractSamples.Reading with { DeviceId = "dev-QQQ" });
        var at = bytes.AsSpan().IndexOf("QQQ"u8);
        bytes[at] = 0xFF;

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode<DeviceReading>(bytes));
            Assert.Equal(ContractErrorReason.MalformedBody, error.Reason);
            Assert.Contains("DeviceReading.deviceId", error.Message, StringComparison.Ordinal);
            Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
        }
        bytes[at] = (byte)'Q';
        Assert.Equal("dev-QQQ", AvroSingleObject.Decode<DeviceReading>(bytes).DeviceId);
    }

    [Fact]
    public void Decode_MeasurementsInSeveralBlocks_ReadsEveryItemInOrder()
    {
        var expected = ContractSamples.Reading;
        var m = expected.Measurements;
        var body = ReadingBodyBefore(expected);
        var firstBlock = new AvroWriter();
        WriteMeasurement(firstBlock, m[0]);
        WriteMeasurement(firstBlock, m[1]);
        body.WriteLong(-2); // a negative count is followed by the block's size in bytes
        body.WriteLong(firstBlock.Length);
        body.WriteRaw(firstBlock.Written);
        body.WriteLong(1);
        WriteMeasurement(body, m[2]);
        body.WriteLong(1);
        WriteMeasurement(body, m[3]);
        body.WriteLong(0);

        var decoded = AvroSingleObject.Decode<DeviceReading>(Message(body));

        Assert.Equal(FieldView.Of(expected), FieldView.Of(decoded));
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(1_000)]
    [InlineData(-1_000)]
    public void Decode_MeasurementBlockCountBeyondTheBody_ThrowsMalformedNamingTheField(long count)
    {
        var body = ReadingBodyBefore(ContractSamples.Reading);
        body.WriteLong(count);
        body.WriteLong(24);
        WriteMeasurement(body, new NamedValue("level", 1));
        body.WriteLong(0);

        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode<DeviceReading>(Message(body)));

        Assert.Equal(ContractErrorReason.MalformedBody, error.Reason);
        Assert.Contains("DeviceReading.measurements", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-62_135_596_800_000, true)]
    [InlineData(253_402_300_799_999, true)]
    [InlineData(-62_135_596_800_001, false)]
    [InlineData(253_402_300_800_000, false)]
    [InlineData(long.MaxValue, false)]
    public void Decode_TimestampAtAndBeyondDateTimeOffsetRange_DecodesInsideAndThrowsMalformedOutside(long ms, bool valid)
    {
        var body = ReadingBodyBefore(ContractSamples.Reading, ms);
        body.WriteLong(0);

        if (valid)
        {
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(ms), AvroSingleObject.Decode<DeviceReading>(Message(body)).Timestamp);
        }
        else
        {
            var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode<DeviceReading>(Message(body)));
            Assert.Contains("DeviceReading.timestamp", error.Message, StringComparison.Ordinal);
            Assert.Contains("out of range", error.Message, StringComparison.Ordinal);
        }
    }

    // The reading's fields before its measurements array, with its own timestamp unless one (in ms) is given.
    private static AvroWriter ReadingBodyBefore(DeviceReading reading, long? timestampMillis = null)
    {
        var body = new AvroWriter();
        body.WriteString(reading.ClusterId);
        body.WriteString(reading.FactoryId);
        body.WriteString(reading.DeviceId);
        body.WriteString(reading.DeviceType);
        body.WriteLong(reading.Sequence);
        body.WriteLong(timestampMillis ?? reading.Timestamp.ToUnixTimeMilliseconds());
        return body;
    }

    private static void WriteMeasurement(AvroWriter writer, NamedValue value)
    {
        writer.WriteString(value.Name);
        writer.WriteDouble(value.Value);
    }

    private static byte[] Message(AvroWriter body)
    {
        var message = new byte[AvroSingleObject.HeaderLength + body.Length];
        message[0] = AvroSingleObject.Magic0;
        message[1] = AvroSingleObject.Magic1;
        BinaryPrimitives.WriteUInt64LittleEndian(message.AsSpan(2), ContractRegistry.For<DeviceReading>().Fingerprint);
        body.Written.CopyTo(message.AsSpan(AvroSingleObject.HeaderLength));
        return message;
    }
}
