using System.Buffers.Binary;

namespace Pipeline.Detection;

/// <summary>
/// Reads and writes the binary model format shared by all detectors:
/// <c>"BHDM"</c> magic, format version (u16), kind (u8), reserved (u8), dimension (i32), threshold (f64),
/// training samples (i64), payload length (i32), payload, CRC-32 of everything before it (u32). All little-endian,
/// so equal models give equal bytes on every platform. Version 2 changed the NED payload (error weights stored as
/// natural logarithms), version 3 added the NED training support (per-feature lower and upper bounds); other versions
/// are refused.
/// </summary>
public static class DetectorSerializer
{
    /// <summary>The format version this build writes and reads.</summary>
    public const ushort FormatVersion = 3;

    private const int HeaderLength = 32;
    private static readonly byte[] Magic = "BHDM"u8.ToArray();

    /// <summary>Reads a model written by <see cref="IAnomalyDetector.Serialize"/>.</summary>
    /// <exception cref="ModelFormatException">The blob is not a model of this format version, is corrupted or is truncated.</exception>
    public static IAnomalyDetector Deserialize(ReadOnlySpan<byte> blob)
    {
        var (header, payload) = ReadEnvelope(blob);
        try
        {
            using var stream = new MemoryStream(payload, writable: false);
            using var reader = new BinaryReader(stream);
            IAnomalyDetector detector = header.Kind switch
            {
                DetectorKind.Ned => NedDetector.ReadPayload(header, reader),
                DetectorKind.IsolationForest => IsolationForestDetector.ReadPayload(header, reader),
                DetectorKind.PcaMahalanobis => PcaMahalanobisDetector.ReadPayload(header, reader),
                DetectorKind.KMeans => KMeansDetector.ReadPayload(header, reader),
                DetectorKind.Cblof => CblofDetector.ReadPayload(header, reader),
                _ => throw new ModelFormatException($"Unknown detector kind {(byte)header.Kind}."),
            };
            if (stream.Position != stream.Length)
            {
                throw new ModelFormatException($"{header.Kind} payload has {stream.Length - stream.Position} unread trailing bytes.");
            }

            return detector;
        }
        catch (EndOfStreamException ex)
        {
            throw new ModelFormatException($"{header.Kind} payload is truncated.", ex);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFormatException($"{header.Kind} payload is inconsistent: {ex.Message}", ex);
        }
    }

    /// <summary>Reads only the header (kind, dimension, threshold, samples) after checking magic, version and checksum.</summary>
    /// <exception cref="ModelFormatException">The blob is invalid.</exception>
    public static DetectorKind PeekKind(ReadOnlySpan<byte> blob) => ReadEnvelope(blob).Header.Kind;

    internal static byte[] Write(ModelHeader header, Action<BinaryWriter> writePayload)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write((byte)header.Kind);
            writer.Write((byte)0);
            writer.Write(header.Dimension);
            writer.Write(header.Threshold);
            writer.Write(header.TrainingSamples);
            writer.Write(0); // payload length, patched below
            writePayload(writer);
        }

        var payloadLength = checked((int)stream.Length - HeaderLength);
        var bytes = new byte[stream.Length + 4];
        stream.GetBuffer().AsSpan(0, (int)stream.Length).CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(28, 4), payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        return bytes;
    }

    internal static (ModelHeader Header, byte[] Payload) ReadEnvelope(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < HeaderLength + 4)
        {
            throw new ModelFormatException($"A serialized model has at least {HeaderLength + 4} bytes, got {blob.Length}.");
        }

        if (!blob[..4].SequenceEqual(Magic))
        {
            throw new ModelFormatException("Not a detector model: the magic bytes are not \"BHDM\".");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(blob[4..]);
        if (version != FormatVersion)
        {
            throw new ModelFormatException($"Model format version {version} is not supported; this build reads version {FormatVersion}.");
        }

        var expected = BinaryPrimitives.ReadUInt32LittleEndian(blob[^4..]);
        var actual = Crc32.Compute(blob[..^4]);
        if (expected != actual)
        {
            throw new ModelFormatException($"Model checksum mismatch (stored 0x{expected:X8}, computed 0x{actual:X8}): the blob is corrupted.");
        }

        var kind = (DetectorKind)blob[6];
        if (!Enum.IsDefined(kind))
        {
            throw new ModelFormatException($"Unknown detector kind {blob[6]}.");
        }

        var dimension = BinaryPrimitives.ReadInt32LittleEndian(blob[8..]);
        var threshold = BinaryPrimitives.ReadDoubleLittleEndian(blob[12..]);
        var samples = BinaryPrimitives.ReadInt64LittleEndian(blob[20..]);
        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(blob[28..]);
        if (payloadLength != blob.Length - HeaderLength - 4)
        {
            throw new ModelFormatException($"Payload length {payloadLength} does not match the blob size {blob.Length}.");
        }

        if (dimension <= 0 || samples < 0 || double.IsNaN(threshold))
        {
            throw new ModelFormatException($"Invalid header: dimension {dimension}, samples {samples}, threshold {threshold}.");
        }

        return (new ModelHeader(kind, dimension, threshold, samples), blob[HeaderLength..^4].ToArray());
    }
}
