using System.Buffers.Binary;
using System.Text;

namespace Pipeline.Contracts.Avro;

/// <summary>Writes Avro binary encoding into a growable buffer that can be reused.</summary>
/// <remarks>Not thread-safe: use one writer per thread (the serializer keeps one per thread).</remarks>
public sealed class AvroWriter
{
    private byte[] _buffer;
    private int _length;

    public AvroWriter(int initialCapacity = 256) => _buffer = new byte[initialCapacity];

    /// <summary>Bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public int Length => _length;

    public void Reset() => _length = 0;

    public byte[] ToArray() => Written.ToArray();

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    public void WriteBoolean(bool value)
    {
        Reserve(1)[0] = value ? (byte)1 : (byte)0;
        _length++;
    }

    public void WriteInt(int value) => WriteLong(value);

    /// <summary>Zig-zag variable-length long, as the Avro specification defines.</summary>
    public void WriteLong(long value)
    {
        var n = (ulong)((value << 1) ^ (value >> 63));
        var span = Reserve(10);
        var i = 0;
        while (n >= 0x80)
        {
            span[i++] = (byte)(n | 0x80);
            n >>= 7;
        }
        span[i++] = (byte)n;
        _length += i;
    }

    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);
        _length += 8;
    }

    public void WriteString(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = Reserve(max + 10);
        // Encode after a worst-case length prefix, then move it next to the real prefix.
        var count = Encoding.UTF8.GetBytes(value, span[10..]);
        WriteLong(count);
        span[10..(10 + count)].CopyTo(_buffer.AsSpan(_length));
        _length += count;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteLong(value.Length);
        WriteRaw(value);
    }

    public void WriteTimestampMillis(DateTimeOffset value) => WriteLong(value.ToUnixTimeMilliseconds());

    /// <summary>Union ["null", "long"]: branch index, then the value when present.</summary>
    public void WriteNullableLong(long? value)
    {
        WriteLong(value.HasValue ? 1 : 0);
        if (value.HasValue)
        {
            WriteLong(value.Value);
        }
    }

    /// <summary>Union ["null", "string"]: branch index, then the value when present.</summary>
    public void WriteNullableString(string? value)
    {
        WriteLong(value is null ? 0 : 1);
        if (value is not null)
        {
            WriteString(value);
        }
    }

    /// <summary>An array as one block of items followed by the zero terminator.</summary>
    public void WriteArray<T>(IReadOnlyList<T> items, Action<AvroWriter, T> writeItem)
    {
        if (items.Count > 0)
        {
            WriteLong(items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                writeItem(this, items[i]);
            }
        }
        WriteLong(0);
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }
        return _buffer.AsSpan(_length);
    }
}
