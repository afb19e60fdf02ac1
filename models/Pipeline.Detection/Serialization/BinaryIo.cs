namespace Pipeline.Detection;

/// <summary>Length-prefixed array helpers for model payloads.</summary>
internal static class BinaryIo
{
    private const int MaxArrayLength = 256 * 1024 * 1024;

    public static void WriteFloats(this BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        foreach (var v in values)
        {
            writer.Write(v);
        }
    }

    public static void WriteDoubles(this BinaryWriter writer, ReadOnlySpan<double> values)
    {
        writer.Write(values.Length);
        foreach (var v in values)
        {
            writer.Write(v);
        }
    }

    public static void WriteInts(this BinaryWriter writer, ReadOnlySpan<int> values)
    {
        writer.Write(values.Length);
        foreach (var v in values)
        {
            writer.Write(v);
        }
    }

    public static void WriteLongs(this BinaryWriter writer, ReadOnlySpan<long> values)
    {
        writer.Write(values.Length);
        foreach (var v in values)
        {
            writer.Write(v);
        }
    }

    public static float[] ReadFloats(this BinaryReader reader, int? expected = null)
    {
        var n = ReadLength(reader, expected, sizeof(float));
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = reader.ReadSingle();
        }

        return values;
    }

    public static double[] ReadDoubles(this BinaryReader reader, int? expected = null)
    {
        var n = ReadLength(reader, expected, sizeof(double));
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = reader.ReadDouble();
        }

        return values;
    }

    public static int[] ReadInts(this BinaryReader reader, int? expected = null)
    {
        var n = ReadLength(reader, expected, sizeof(int));
        var values = new int[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = reader.ReadInt32();
        }

        return values;
    }

    public static long[] ReadLongs(this BinaryReader reader, int? expected = null)
    {
        var n = ReadLength(reader, expected, sizeof(long));
        var values = new long[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = reader.ReadInt64();
        }

        return values;
    }

    private static int ReadLength(BinaryReader reader, int? expected, int elementSize)
    {
        var n = reader.ReadInt32();
        var remaining = reader.BaseStream.Length - reader.BaseStream.Position;
        if (n < 0 || n > MaxArrayLength || (long)n * elementSize > remaining)
        {
            throw new ModelFormatException($"Array length {n} is invalid for the remaining {remaining} payload bytes.");
        }

        if (expected is { } e && e != n)
        {
            throw new ModelFormatException($"Array length {n} does not match the expected {e}.");
        }

        return n;
    }
}
