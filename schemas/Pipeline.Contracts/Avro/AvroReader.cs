using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Pipeline.Contracts.Avro;

/// <summary>Reads Avro binary encoding from a span, refusing anything that does not fit the schema.</summary>
/// <remarks>Every failure is an <see cref="AvroContractException"/> with
/// <see cref="ContractErrorReason.MalformedBody"/>, naming the field being read.</remarks>
public ref struct AvroReader
{
    private const long MinUnixMilliseconds = -62_135_596_800_000;
    private const long MaxUnixMilliseconds = 253_402_300_799_999;

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadLong(string field)
    {
        // One-byte values (|v| < 64: lengths, counts, small numbers) are the common case.
        if ((uint)_position < (uint)_data.Length && _data[_position] < 0x80)
        {
            var n = _data[_position++];
            return (n >> 1) ^ -(n & 1);
        }
        return ReadLongSlow(field);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ReadDouble(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    public string ReadString(string field) => DecodeUtf8(Take(ReadLength(field), field), field);

    /// <summary>Reads a string that recurs across messages (an id, a measurement name): the same value as
    /// <see cref="ReadString"/>, but strings of up to 64 bytes come from a shared cache instead of a new allocation each
    /// time, so equal strings may be the same instance.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string ReadRepeatedString(string field)
    {
        var bytes = Take(ReadLength(field), field);
        if (bytes.Length > Utf8StringCache.MaxBytes)
        {
            return DecodeUtf8(bytes, field);
        }
        var slot = Utf8StringCache.SlotOf(bytes);
        if (Utf8StringCache.Find(bytes, slot) is { } cached)
        {
            return cached;
        }
        var value = DecodeUtf8(bytes, field);
        Utf8StringCache.Store(bytes, slot, value);
        return value;
    }

    public byte[] ReadBytes(string field) => Take(ReadLength(field), field).ToArray();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public DateTimeOffset ReadTimestampMillis(string field)
    {
        var ms = ReadLong(field);
        // DateTimeOffset.FromUnixTimeMilliseconds's own range (0001-01-01 to 9999-12-31), checked here so that the
        // common case has no exception handler and can be inlined.
        if (ms is < MinUnixMilliseconds or > MaxUnixMilliseconds)
        {
            throw Malformed(field, $"timestamp {ms} ms is out of range");
        }
        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    public long? ReadNullableLong(string field) => ReadUnionBranch(field) == 0 ? null : ReadLong(field);

    public string? ReadNullableString(string field) => ReadUnionBranch(field) == 0 ? null : ReadString(field);

    /// <summary>Reads an array written in any number of blocks (negative counts carry a byte size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public T[] ReadArray<T>(string field, AvroItemReader<T> readItem)
    {
        T[] items = [];
        while (true)
        {
            var count = ReadLong(field);
            if (count == 0)
            {
                return items;
            }
            if (count < 0)
            {
                count = -count;
                ReadLong(field); // block size in bytes, not needed to read the items
            }
            // Every item takes at least one byte: a larger count cannot be honest (nor can -long.MinValue).
            if (count < 0 || count > Remaining)
            {
                throw Malformed(field, $"array block of {count} items exceeds the {Remaining} bytes left");
            }
            var start = items.Length;
            if (start == 0)
            {
                items = new T[count];
            }
            else
            {
                Array.Resize(ref items, start + (int)count);
            }
            for (var i = start; i < items.Length; i++)
            {
                items[i] = readItem(ref this);
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

    private long ReadLongSlow(string field)
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ReadLength(string field)
    {
        var length = ReadLong(field);
        if ((ulong)length > (ulong)Remaining)
        {
            throw Malformed(field, $"length {length} is negative or exceeds the {Remaining} bytes left");
        }
        return (int)length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    private readonly string DecodeUtf8(ReadOnlySpan<byte> bytes, string field)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed(field, "string is not valid UTF-8");
        }
    }
}

/// <summary>Reads one array item.</summary>
public delegate T AvroItemReader<T>(ref AvroReader reader);
