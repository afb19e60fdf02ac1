using System.Buffers.Binary;
using System.Text;

namespace Pipeline.Contracts.Avro;

/// <summary>Reads Avro binary encoding from a span, refusing anything that does not fit the schema.</summary>
/// <remarks>Every failure is an <see cref="AvroContractException"/> with
/// <see cref="ContractErrorReason.MalformedBody"/>, naming the field being read.</remarks>
public ref struct AvroReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _schemaName;
    private int _position;

    public AvroReader(ReadOnlySpan<byte> data, string schemaName)
    {
        _data = data;
        _schemaName = schemaName;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public bool ReadBoolean(string field)
    {
        var b = Take(1, field)[0];
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw Malformed(field, $"boolean byte {b} is neither 0 nor 1"),
        };
    }

    public int ReadInt(string field)
    {
        var value = ReadLong(field);
        if (value is < int.MinValue or > int.MaxValue)
        {
            throw Malformed(field, $"value {value} does not fit an int");
        }
        return (int)value;
    }

    public long ReadLong(string field)
    {
        ulong n = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw Malformed(field, "ends inside a variable-length integer");
            }
            var b = _data[_position++];
            n |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(n >> 1) ^ -(long)(n & 1);
            }
        }
        throw Malformed(field, "variable-length integer is longer than 10 bytes");
    }

    public double ReadDouble(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    public string ReadString(string field)
    {
        var bytes = Take(ReadLength(field), field);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed(field, "string is not valid UTF-8");
        }
    }

    public byte[] ReadBytes(string field) => Take(ReadLength(field), field).ToArray();

    public DateTimeOffset ReadTimestampMillis(string field)
    {
        var ms = ReadLong(field);
        try
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Malformed(field, $"timestamp {ms} ms is out of range");
        }
    }

    public long? ReadNullableLong(string field) => ReadUnionBranch(field) == 0 ? null : ReadLong(field);

    public string? ReadNullableString(string field) => ReadUnionBranch(field) == 0 ? null : ReadString(field);

    /// <summary>Reads an array written in any number of blocks (negative counts carry a byte size).</summary>
    public T[] ReadArray<T>(string field, AvroItemReader<T> readItem)
    {
        var items = new List<T>();
        while (true)
        {
            var count = ReadLong(field);
            if (count == 0)
            {
                return [.. items];
            }
            if (count < 0)
            {
                count = -count;
                ReadLong(field); // block size in bytes, not needed to read the items
            }
            // Every item takes at least one byte: a larger count cannot be honest.
            if (count > Remaining)
            {
                throw Malformed(field, $"array block of {count} items exceeds the {Remaining} bytes left");
            }
            for (var i = 0; i < count; i++)
            {
                items.Add(readItem(ref this));
            }
        }
    }

    /// <summary>Fails unless every byte of the body has been consumed.</summary>
    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw new AvroContractException(
                ContractErrorReason.MalformedBody,
                $"{_schemaName}: {Remaining} unexpected bytes after the last field");
        }
    }

    public readonly AvroContractException Malformed(string field, string problem) =>
        new(ContractErrorReason.MalformedBody, $"{_schemaName}.{field}: {problem} (at byte {_position})");

    private int ReadUnionBranch(string field)
    {
        var branch = ReadLong(field);
        if (branch is not (0 or 1))
        {
            throw Malformed(field, $"union branch {branch} does not exist");
        }
        return (int)branch;
    }

    private int ReadLength(string field)
    {
        var length = ReadLong(field);
        if (length < 0 || length > Remaining)
        {
            throw Malformed(field, $"length {length} is negative or exceeds the {Remaining} bytes left");
        }
        return (int)length;
    }

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count > Remaining)
        {
            throw Malformed(field, $"needs {count} bytes but {Remaining} are left");
        }
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>Reads one array item.</summary>
public delegate T AvroItemReader<T>(ref AvroReader reader);
