using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Pipeline.Contracts.Avro;

/// <summary>Avro single-object encoding: C3 01, the 8-byte little-endian CRC-64-AVRO fingerprint
/// of the writer schema's Parsing Canonical Form, then the binary body.</summary>
/// <remarks>Encoding reuses one buffer per thread; decoding allocates only the result. Every
/// decoding failure is an <see cref="AvroContractException"/>.</remarks>
public static class AvroSingleObject
{
    public const byte Magic0 = 0xC3;
    public const byte Magic1 = 0x01;
    public const int HeaderLength = 10;

    [ThreadStatic]
    private static AvroWriter? _threadWriter;

    public static byte[] Encode<T>(T value) where T : IAvroRecord<T>
    {
        var writer = _threadWriter ??= new AvroWriter(1024);
        writer.Reset();
        Span<byte> header = stackalloc byte[HeaderLength];
        header[0] = Magic0;
        header[1] = Magic1;
        BinaryPrimitives.WriteUInt64LittleEndian(header[2..], ContractRegistry.For<T>().Fingerprint);
        writer.WriteRaw(header);
        value.WriteBody(writer);
        return writer.ToArray();
    }

    /// <summary>Decodes a message that must have been written with <typeparamref name="T"/>'s schema.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Decode<T>(ReadOnlySpan<byte> message) where T : IAvroRecord<T>
    {
        var fingerprint = ReadFingerprint(message);
        if (fingerprint != Expected<T>.Fingerprint)
        {
            var expected = ContractRegistry.For<T>();
            if (ContractRegistry.TryGet(fingerprint, out var other))
            {
                throw new AvroContractException(
                    ContractErrorReason.UnexpectedSchema,
                    $"expected a {expected.Name} but the message was written with the {other.Name} schema");
            }
            throw UnknownFingerprint(fingerprint);
        }
        return DecodeBody<T>(message[HeaderLength..]);
    }

    /// <summary>Decodes a message of any contract type, found by its fingerprint.</summary>
    public static object Decode(ReadOnlySpan<byte> message)
    {
        var fingerprint = ReadFingerprint(message);
        if (!ContractRegistry.TryGet(fingerprint, out _))
        {
            throw UnknownFingerprint(fingerprint);
        }
        return ContractRegistry.DecodeBody(fingerprint, message[HeaderLength..]);
    }

    /// <summary>Reads and checks the header; returns the writer-schema fingerprint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadFingerprint(ReadOnlySpan<byte> message)
    {
        if (message.Length >= 2 && (message[0] != Magic0 || message[1] != Magic1))
        {
            throw new AvroContractException(
                ContractErrorReason.BadMagic,
                $"not Avro single-object encoding: starts with {message[0]:X2} {message[1]:X2}, expected C3 01");
        }
        if (message.Length < HeaderLength)
        {
            throw new AvroContractException(
                ContractErrorReason.Truncated,
                $"message of {message.Length} bytes is shorter than the {HeaderLength}-byte single-object header");
        }
        return BinaryPrimitives.ReadUInt64LittleEndian(message[2..HeaderLength]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T DecodeBody<T>(ReadOnlySpan<byte> body) where T : IAvroRecord<T>
    {
        var reader = new AvroReader(body, T.SchemaName);
        var value = T.ReadBody(ref reader);
        reader.EnsureEnd();
        return value;
    }

    private static AvroContractException UnknownFingerprint(ulong fingerprint) =>
        new(ContractErrorReason.UnknownFingerprint, $"unknown writer-schema fingerprint {fingerprint:X16}");

    // The registry's fingerprint for T, looked up once per type instead of once per message.
    private static class Expected<T> where T : IAvroRecord<T>
    {
        public static readonly ulong Fingerprint = ContractRegistry.For<T>().Fingerprint;
    }
}
