using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace Pipeline.Ledger;

/// <summary>Builds, hashes, serializes and checks blocks.</summary>
internal static class BlockCodec
{
    public static readonly string GenesisPreviousHash = new('0', 64);

    public static Block Create(long number, string previousHash, IReadOnlyList<LedgerTransaction> transactions)
    {
        var dataHash = DataHash(transactions);
        return new Block
        {
            Number = number,
            PreviousHash = previousHash,
            DataHash = dataHash,
            Hash = HeaderHash(number, previousHash, dataHash),
            Transactions = transactions,
        };
    }

    public static string DataHash(IReadOnlyList<LedgerTransaction> transactions) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(transactions, LedgerJson.Options)));

    public static string HeaderHash(long number, string previousHash, string dataHash)
    {
        Span<byte> header = stackalloc byte[8 + 32 + 32];
        BinaryPrimitives.WriteInt64BigEndian(header, number);
        if (!TryHex(previousHash, header.Slice(8, 32)) || !TryHex(dataHash, header.Slice(40, 32)))
        {
            // A malformed hash can never match; hash a marker so verification reports a mismatch.
            header.Slice(8).Fill(0xFF);
        }

        return Convert.ToHexStringLower(SHA256.HashData(header));
    }

    public static byte[] Serialize(Block block) => JsonSerializer.SerializeToUtf8Bytes(block, LedgerJson.Options);

    /// <summary>Parses and fully verifies one stored block; returns the reason it is bad, or null.</summary>
    public static string? Verify(ReadOnlySpan<byte> bytes, long expectedNumber, string expectedPreviousHash, out Block? block)
    {
        block = null;
        Block parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<Block>(bytes, LedgerJson.Options)
                ?? throw new JsonException("empty document");
        }
        catch (JsonException ex)
        {
            return $"unreadable block ({ex.Message})";
        }
        catch (FormatException ex)
        {
            return $"unreadable block ({ex.Message})";
        }

        if (parsed.Number != expectedNumber)
        {
            return $"expected block number {expectedNumber}, found {parsed.Number}";
        }

        if (!string.Equals(parsed.PreviousHash, expectedPreviousHash, StringComparison.Ordinal))
        {
            return $"previous hash {parsed.PreviousHash} does not match block {expectedNumber - 1} hash {expectedPreviousHash}";
        }

        var dataHash = DataHash(parsed.Transactions);
        if (!string.Equals(dataHash, parsed.DataHash, StringComparison.Ordinal))
        {
            return $"data hash mismatch (header {parsed.DataHash}, computed {dataHash})";
        }

        var headerHash = HeaderHash(parsed.Number, parsed.PreviousHash, parsed.DataHash);
        if (!string.Equals(headerHash, parsed.Hash, StringComparison.Ordinal))
        {
            return $"header hash mismatch (stored {parsed.Hash}, computed {headerHash})";
        }

        // Equivalent JSON spellings (escapes, number forms) parse alike; the stored bytes must be canonical too.
        if (!bytes.SequenceEqual(Serialize(parsed)))
        {
            return "stored bytes are not the canonical encoding of the block";
        }

        block = parsed;
        return null;
    }

    private static bool TryHex(string hex, Span<byte> destination)
    {
        if (hex.Length != destination.Length * 2)
        {
            return false;
        }

        try
        {
            return Convert.FromHexString(hex, destination, out _, out var written) == System.Buffers.OperationStatus.Done
                && written == destination.Length;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
