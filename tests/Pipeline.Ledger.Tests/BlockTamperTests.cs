using System.Buffers.Binary;
using Pipeline.Chaincode;

namespace Pipeline.Ledger.Tests;

public sealed class BlockTamperTests
{
    public enum Spot
    {
        LengthPrefix,
        FirstPayloadByte,
        MiddleOfPayload,
        LastPayloadByte,
    }

    [Theory]
    [InlineData(Spot.LengthPrefix)]
    [InlineData(Spot.FirstPayloadByte)]
    [InlineData(Spot.MiddleOfPayload)]
    [InlineData(Spot.LastPayloadByte)]
    public async Task StartAsync_FlippedByteInBlockOne_RefusedNamingBlockOne(Spot spot)
    {
        using var temp = new TestLedger();
        await using (var network = await LedgerNetwork.StartAsync(temp.Options(peers: 1)))
        {
            for (var i = 0; i < 3; i++)
            {
                await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("t" + i)), TestLedger.Admin, CancellationToken.None);
            }

            Assert.Equal(3, network.Height);
        }

        var file = Path.Combine(temp.Directory, "peer0", "blocks.dat");
        var bytes = await File.ReadAllBytesAsync(file);
        var (offset, length) = Frame(bytes, 1);
        var position = spot switch
        {
            Spot.LengthPrefix => offset + 3,
            Spot.FirstPayloadByte => offset + 4,
            Spot.MiddleOfPayload => offset + 4 + (length / 2),
            _ => offset + 4 + length - 1,
        };
        bytes[position] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes);

        var ex = await Assert.ThrowsAsync<LedgerCorruptionException>(() => LedgerNetwork.StartAsync(temp.Options(peers: 1)));

        Assert.Equal(1, ex.BlockNumber);
        Assert.Equal(file, ex.FilePath);
        Assert.Contains("block 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_BlockRemovedFromMiddle_RefusedNamingItsSuccessor()
    {
        using var temp = new TestLedger();
        await using (var network = await LedgerNetwork.StartAsync(temp.Options(peers: 1)))
        {
            for (var i = 0; i < 3; i++)
            {
                await network.SubmitAsync(WhitelistFunctions.CreateAsset, TestLedger.CreateArgs(TestLedger.Hash("r" + i)), TestLedger.Admin, CancellationToken.None);
            }
        }

        var file = Path.Combine(temp.Directory, "peer0", "blocks.dat");
        var bytes = await File.ReadAllBytesAsync(file);
        var (offset, length) = Frame(bytes, 1);
        await File.WriteAllBytesAsync(file, [.. bytes.AsSpan(0, offset), .. bytes.AsSpan(offset + 4 + length)]);

        var ex = await Assert.ThrowsAsync<LedgerCorruptionException>(() => LedgerNetwork.StartAsync(temp.Options(peers: 1)));

        Assert.Equal(1, ex.BlockNumber);
    }

    private static (int Offset, int Length) Frame(byte[] file, int number)
    {
        var offset = 0;
        for (var i = 0; ; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(offset));
            if (i == number)
            {
                return (offset, length);
            }

            offset += 4 + length;
        }
    }
}
