using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pipeline.Contracts.Avro;

/// <summary>A fixed-size, process-wide table from short UTF-8 byte sequences to the strings they decode to, so that
/// identifiers that recur in every message (device ids, measurement names) are not allocated again per message.</summary>
/// <remarks>Direct-mapped: each byte sequence has one slot, chosen by a hash; a new sequence replaces whatever held its
/// slot. An entry is immutable and is published with one reference write, so concurrent readers see either the old or
/// the new entry, never a torn one, and a hit is only taken after comparing every byte. Only strings that decoded as
/// valid UTF-8 are ever stored. Memory is bounded by <see cref="Slots"/> × (<see cref="MaxBytes"/> + the string).</remarks>
internal static class Utf8StringCache
{
    /// <summary>Longer strings are decoded without the cache: they are unlikely to be identifiers.</summary>
    internal const int MaxBytes = 64;

    internal const int Slots = 4096;

    private const int SlotBits = 12;

    private static readonly Entry?[] Table = new Entry?[Slots];

    /// <summary>The slot that <paramref name="utf8"/> maps to.</summary>
    internal static int SlotOf(ReadOnlySpan<byte> utf8)
    {
        var hash = 0x9E3779B97F4A7C15UL ^ (ulong)utf8.Length;
        while (utf8.Length >= 8)
        {
            hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(utf8)) * 0xFF51AFD7ED558CCDUL, 29);
            utf8 = utf8[8..];
        }
        ulong tail = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            tail |= (ulong)utf8[i] << (8 * i);
        }
        hash = (hash ^ tail) * 0xC4CEB9FE1A85EC53UL;
        return (int)(hash >> (64 - SlotBits));
    }

    /// <summary>The cached string for exactly these bytes in <paramref name="slot"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static string? Find(ReadOnlySpan<byte> utf8, int slot)
    {
        var entry = Volatile.Read(ref Table[slot]);
        return entry is not null && utf8.SequenceEqual(entry.Utf8) ? entry.Value : null;
    }

    /// <summary>Stores <paramref name="value"/>, which must be the strict UTF-8 decoding of <paramref name="utf8"/>.</summary>
    internal static void Store(ReadOnlySpan<byte> utf8, int slot, string value) =>
        Volatile.Write(ref Table[slot], new Entry(utf8.ToArray(), value));

    private sealed record Entry(byte[] Utf8, string Value);
}
