using System.Buffers.Binary;
using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class SerializationUnitTests
{
    private static byte[] ModelBytes() => KMeansDetector.Fit(TestData.Correlated(200, 3, seed: 1), new KMeansOptions { Clusters = 3 }).Serialize();

    [Fact]
    public void Serialize_Header_StartsWithMagicVersionAndKind()
    {
        var bytes = ModelBytes();

        Assert.Equal("BHDM"u8.ToArray(), bytes[..4]);
        Assert.Equal(DetectorSerializer.FormatVersion, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
        Assert.Equal((byte)DetectorKind.KMeans, bytes[6]);
        Assert.Equal(DetectorKind.KMeans, DetectorSerializer.PeekKind(bytes));
    }

    [Fact]
    public void Deserialize_FlippedPayloadByte_ThrowsChecksumMismatch()
    {
        var bytes = ModelBytes();
        bytes[40] ^= 0x10;

        var error = Assert.Throws<ModelFormatException>(() => DetectorSerializer.Deserialize(bytes));

        Assert.Contains("checksum mismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_OtherFormatVersion_ThrowsNamingTheVersion()
    {
        var bytes = ModelBytes();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 7);

        var error = Assert.Throws<ModelFormatException>(() => DetectorSerializer.Deserialize(bytes));

        Assert.Contains("version 7 is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_WrongMagic_Throws()
    {
        var bytes = ModelBytes();
        bytes[0] = (byte)'X';

        var error = Assert.Throws<ModelFormatException>(() => DetectorSerializer.Deserialize(bytes));

        Assert.Contains("magic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_Truncated_Throws()
    {
        var bytes = ModelBytes();

        Assert.Throws<ModelFormatException>(() => DetectorSerializer.Deserialize(bytes.AsSpan(0, bytes.Length - 9)));
        Assert.Throws<ModelFormatException>(() => DetectorSerializer.Deserialize(bytes.AsSpan(0, 10)));
    }

    [Fact]
    public void Serialize_IsCompact()
    {
        var forest = IsolationForestDetector.Fit(TestData.Correlated(1000, 8, seed: 2));

        var bytes = forest.Serialize();

        // ~100 trees of at most 2ψ − 1 nodes, 16 bytes per node.
        Assert.InRange(bytes.Length, 1000, 100 * 511 * 16);
    }
}
