using System.Buffers.Binary;

namespace Pipeline.Federation;

/// <summary>Encodes float vectors as float32, float16 or int8 with a per-tensor scale (see <see cref="UpdateCompression"/>).</summary>
/// <remarks>Pure. Int8 rounds to nearest: the absolute error of a value is at most half its tensor's scale.</remarks>
public static class ParameterCodec
{
    /// <summary>The wire name of a compression (ModelUpdate.Compression): none, float16, int8.</summary>
    public static string NameOf(UpdateCompression compression) => compression switch
    {
        UpdateCompression.Float16 => "float16",
        UpdateCompression.Int8 => "int8",
        _ => "none",
    };

    /// <summary>Parses a wire or configuration name.</summary>
    /// <exception cref="FormatException">An unknown name.</exception>
    public static UpdateCompression Parse(string? name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "none" or "float32" => UpdateCompression.None,
        "float16" or "half" => UpdateCompression.Float16,
        "int8" => UpdateCompression.Int8,
        _ => throw new FormatException($"Unknown update compression '{name}'; expected none, float16 or int8."),
    };

    /// <summary>Encoded size in bytes of <paramref name="count"/> values in <paramref name="segments"/> tensors.</summary>
    public static int EncodedLength(int count, int segments, UpdateCompression compression) => compression switch
    {
        UpdateCompression.Float16 => 2 * count,
        UpdateCompression.Int8 => count + (4 * segments),
        _ => 4 * count,
    };

    /// <summary>Encodes <paramref name="values"/>, split into tensors of <paramref name="segments"/> lengths.</summary>
    /// <exception cref="ArgumentException">The segment lengths do not add up to the value count.</exception>
    public static byte[] Encode(ReadOnlySpan<float> values, IReadOnlyList<int> segments, UpdateCompression compression)
    {
        CheckSegments(values.Length, segments);
        var bytes = new byte[EncodedLength(values.Length, segments.Count, compression)];
        switch (compression)
        {
            case UpdateCompression.Float16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                break;
            case UpdateCompression.Int8:
                var at = 0;
                var offset = 0;
                foreach (var length in segments)
                {
                    var tensor = values.Slice(offset, length);
                    float max = 0;
                    foreach (var v in tensor) max = Math.Max(max, Math.Abs(v));
                    var scale = max > 0 ? max / 127f : 0f;
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), scale);
                    at += 4;
                    for (var i = 0; i < length; i++)
                    {
                        bytes[at++] = unchecked((byte)(sbyte)(scale > 0 ? Math.Clamp(MathF.Round(tensor[i] / scale), -127, 127) : 0));
                    }

                    offset += length;
                }

                break;
            default:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                break;
        }

        return bytes;
    }

    /// <summary>Decodes bytes written by <see cref="Encode"/> with the same segments and compression.</summary>
    /// <exception cref="FormatException">The byte count does not match, or an int8 scale is not finite or negative.</exception>
    public static float[] Decode(ReadOnlySpan<byte> bytes, IReadOnlyList<int> segments, UpdateCompression compression)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var count = segments.Sum();
        var expected = EncodedLength(count, segments.Count, compression);
        if (bytes.Length != expected) throw new FormatException($"{NameOf(compression)} encoding of {count} values needs {expected} bytes, got {bytes.Length}.");
        var values = new float[count];
        switch (compression)
        {
            case UpdateCompression.Float16:
                for (var i = 0; i < count; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            case UpdateCompression.Int8:
                var at = 0;
                var offset = 0;
                foreach (var length in segments)
                {
                    var scale = BinaryPrimitives.ReadSingleLittleEndian(bytes[at..]);
                    if (!(float.IsFinite(scale) && scale >= 0)) throw new FormatException($"int8 tensor scale {scale} at byte {at} is not a finite non-negative number.");
                    at += 4;
                    for (var i = 0; i < length; i++) values[offset + i] = unchecked((sbyte)bytes[at++]) * scale;
                    offset += length;
                }

                break;
            default:
                for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
        }

        return values;
    }

    private static void CheckSegments(int count, IReadOnlyList<int> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (segments.Any(s => s < 0) || segments.Sum() != count)
        {
            throw new ArgumentException($"Segment lengths add up to {segments.Sum()}, not to the {count} values.", nameof(segments));
        }
    }
}
