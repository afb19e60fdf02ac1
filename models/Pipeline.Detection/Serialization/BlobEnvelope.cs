using System.Buffers.Binary;
using System.Text;

namespace Pipeline.Detection;

/// <summary>
/// The frame of the small fixed-layout blobs (standardizer "BHST", relation model "BHRL"): 4 magic bytes, a u16
/// format version (little-endian), the body, and a CRC-32 (IEEE) of everything before the last 4 bytes.
/// </summary>
internal static class BlobEnvelope
{
    /// <summary>Writes the magic, the version and the closing checksum into <paramref name="blob"/>, whose body is
    /// already in place between them.</summary>
    public static void Seal(Span<byte> blob, ReadOnlySpan<byte> magic, ushort version)
    {
        magic.CopyTo(blob);
        BinaryPrimitives.WriteUInt16LittleEndian(blob[4..], version);
        BinaryPrimitives.WriteUInt32LittleEndian(blob[^4..], Crc32.Compute(blob[..^4]));
    }

    /// <summary>Checks the frame of a blob written by <see cref="Seal"/>.</summary>
    /// <param name="blob">The bytes.</param>
    /// <param name="magic">The expected magic bytes.</param>
    /// <param name="version">The format version this build reads.</param>
    /// <param name="minLength">The shortest valid blob.</param>
    /// <param name="name">What the blob holds, lower case, for the messages (e.g. "standardizer").</param>
    /// <exception cref="ModelFormatException">Too short or wrong magic, another version, or a checksum mismatch.</exception>
    public static void Check(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> magic, ushort version, int minLength, string name) =>
        Check(blob, magic, version, version, minLength, name);

    /// <summary>Checks the frame of a blob written by <see cref="Seal"/> in one of the versions
    /// <paramref name="oldest"/>..<paramref name="newest"/>, and returns its version.</summary>
    /// <exception cref="ModelFormatException">Too short or wrong magic, another version, or a checksum mismatch.</exception>
    public static ushort Check(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> magic, ushort oldest, ushort newest, int minLength, string name)
    {
        if (blob.Length < minLength || !blob[..4].SequenceEqual(magic))
        {
            throw new ModelFormatException($"Not a {name} blob: the magic bytes are not \"{Encoding.ASCII.GetString(magic)}\".");
        }
        var title = char.ToUpperInvariant(name[0]) + name[1..];
        var found = BinaryPrimitives.ReadUInt16LittleEndian(blob[4..]);
        if (found < oldest || found > newest)
        {
            var supported = oldest == newest ? $"version {newest}" : $"versions {oldest} to {newest}";
            throw new ModelFormatException($"{title} format version {found} is not supported; this build reads {supported}.");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(blob[^4..]) != Crc32.Compute(blob[..^4]))
        {
            throw new ModelFormatException($"{title} checksum mismatch: the blob is corrupted.");
        }

        return found;
    }
}
