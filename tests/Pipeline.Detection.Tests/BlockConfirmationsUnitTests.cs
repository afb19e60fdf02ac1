using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class BlockConfirmationsUnitTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static BlockEvent Block(string cluster, long height, string hash, string previous, string miner, double seconds) =>
        TestData.Block(cluster, height, hash, previous, miner, Start.AddSeconds(seconds));

    [Fact]
    public void Add_BlockIsReleasedOnlyAfterKLaterBlocksOfItsOwnChain()
    {
        var confirmations = new BlockConfirmations<string>(depth: 2);
        var released = new List<ConfirmedBlock<string>>();

        confirmations.Add(Block("a", 1, "a1", "a0", "m1", 0), "a1", released);
        confirmations.Add(Block("b", 1, "b1", "b0", "m1", 1), "b1", released);
        confirmations.Add(Block("a", 2, "a2", "a1", "m1", 10), "a2", released);
        confirmations.Add(Block("b", 2, "b2", "b1", "m1", 11), "b2", released);
        Assert.Empty(released); // each chain has one later block, k = 2
        Assert.Equal(4, confirmations.Held);

        confirmations.Add(Block("a", 3, "a3", "a2", "m1", 20), "a3", released);

        Assert.Equal(["a1"], released.Select(r => r.Payload));
        Assert.Equal(4, confirmations.Held);
    }

    [Fact]
    public void LookAhead_OrphanOfAFork_IsOrphanedWithASiblingAndItsMinerAbsentAfterIt()
    {
        // h1 ← h2 ← h3 ← h4, and the orphan o2 (also on h1) arrives right after h2; m2 mines h2 and h3.
        var confirmations = new BlockConfirmations<string>(depth: 2);
        var released = new List<ConfirmedBlock<string>>();
        confirmations.Add(Block("c", 1, "h1", "h0", "m1", 0), "h1", released);
        confirmations.Add(Block("c", 2, "h2", "h1", "m2", 10), "h2", released);
        confirmations.Add(Block("c", 2, "o2", "h1", "m9", 12), "o2", released);
        confirmations.Add(Block("c", 3, "h3", "h2", "m2", 30), "h3", released);
        confirmations.Add(Block("c", 4, "h4", "h3", "m1", 40), "h4", released);

        Assert.Equal(["h1", "h2", "o2"], released.Select(r => r.Payload));
        var orphan = released[2].LookAhead;
        Assert.Equal(BlockConfirmations<string>.FeatureCount, orphan.Length);
        Assert.Equal("orphaned", BlockConfirmations<string>.FeatureNames[0]);
        Assert.Equal(1f, orphan[0]); // neither h3 nor h4 builds on o2
        Assert.Equal(1f, orphan[1]); // h2 shares its height
        Assert.Equal(0f, orphan[2]); // m9 mined none of the next two
        Assert.Equal(0f, orphan[3]);
        Assert.Equal((float)Math.Log10(1 + 18), orphan[4], 5); // h3, the first block above height 2, came 18 s later
        Assert.Equal(1 / 5f, orphan[5], 5); // m9 mined 1 of h1, h2, o2, h3, h4

        var extended = released[1].LookAhead; // h2: o2 and h3 after it; h3 builds on it
        Assert.Equal(0f, extended[0]);
        Assert.Equal(1f, extended[1]);
        Assert.Equal(0.5f, extended[2], 5); // m2 mined h3 of (o2, h3)
        Assert.Equal(0f, extended[3]); // o2 (m9) breaks the streak at once
        Assert.Equal((float)Math.Log10(1 + 20), extended[4], 5);
    }

    [Fact]
    public void LookAhead_DominantMiner_ShowsItsShareAndStreakAfterTheBlock()
    {
        var confirmations = new BlockConfirmations<int>(depth: 3);
        var released = new List<ConfirmedBlock<int>>();
        for (var h = 1; h <= 7; h++)
        {
            var miner = h >= 3 ? "big" : $"m{h}";
            confirmations.Add(Block("c", h, $"h{h}", $"h{h - 1}", miner, h * 10), h, released);
        }

        var third = released.Single(r => r.Payload == 3).LookAhead;
        Assert.Equal(1f, third[2]); // "big" mined h4, h5, h6
        Assert.Equal(3f, third[3]);
        Assert.Equal(4 / 6f, third[5], 5); // h1..h6 around h3 (two before it exist): big mined h3..h6
    }

    [Fact]
    public void Release_Due_ReleasesHeldBlocksEarlyWithTheLookAheadTheyHave()
    {
        var confirmations = new BlockConfirmations<int>(depth: 6);
        var released = new List<ConfirmedBlock<int>>();
        for (var h = 1; h <= 3; h++) confirmations.Add(Block("c", h, $"h{h}", $"h{h - 1}", "m", h * 10), h, released);
        Assert.Empty(released);

        confirmations.Release(payload => payload <= 2, released);

        Assert.Equal([1, 2], released.Select(r => r.Payload));
        Assert.Equal(1, confirmations.Held);
        Assert.Equal(0f, released[0].LookAhead[0]); // h2 builds on h1
        Assert.Equal(1f, released[1].LookAhead[2]); // the one later block (h3) is by the same miner
        confirmations.Release(_ => true, released);
        Assert.Equal(0, confirmations.Held);
        Assert.Equal(0f, released[2].LookAhead[0]); // nothing after h3: not called orphaned
    }

    [Fact]
    public void Drop_ForgetsTheMatchingChainsAndReturnsTheirHeldBlocksInOrder()
    {
        var confirmations = new BlockConfirmations<(string Chain, int Height)>(depth: 4);
        var released = new List<ConfirmedBlock<(string, int)>>();
        var dropped = new List<(BlockEvent Block, (string Chain, int Height) Payload)>();
        for (var h = 1; h <= 3; h++)
        {
            confirmations.Add(Block("a", h, $"a{h}", $"a{h - 1}", "m", h), ("a", h), released);
            confirmations.Add(Block("b", h, $"b{h}", $"b{h - 1}", "m", h), ("b", h), released);
        }

        var forgotten = confirmations.Drop(p => p.Chain == "a", dropped);

        Assert.Equal(["a"], forgotten);
        Assert.Equal([1, 2, 3], dropped.Select(d => d.Payload.Height));
        Assert.Equal(3, confirmations.Held);
        // Chain "a" starts cold: its next block has no context before it.
        confirmations.Add(Block("a", 4, "a4", "a3", "m", 4), ("a", 4), released);
        confirmations.Release(p => p.Chain == "a", released);
        Assert.Equal(1f, released.Single().LookAhead[5]); // around it only itself
    }

    [Fact]
    public void Add_ManyBlocksOfOneChain_HoldsExactlyKAndReleasesTheRestInOrder()
    {
        var confirmations = new BlockConfirmations<int>(depth: 3);
        var released = new List<ConfirmedBlock<int>>();
        for (var h = 1; h <= 1_000; h++) confirmations.Add(Block("c", h, $"h{h}", $"h{h - 1}", "m", h), h, released);

        Assert.Equal(3, confirmations.Held);
        Assert.Equal(Enumerable.Range(1, 997), released.Select(r => r.Payload));
    }

    [Fact]
    public void Add_MoreChainsThanFit_ReleasesTheLeastRecentlyActiveChainEarly()
    {
        var confirmations = new BlockConfirmations<int>(depth: 3, maxChains: 2);
        var released = new List<ConfirmedBlock<int>>();
        confirmations.Add(Block("a", 1, "a1", "a0", "m", 1), 1, released);
        confirmations.Add(Block("b", 1, "b1", "b0", "m", 2), 2, released);
        confirmations.Add(Block("a", 2, "a2", "a1", "m", 3), 3, released);

        confirmations.Add(Block("c", 1, "c1", "c0", "m", 4), 4, released);

        Assert.Equal([2], released.Select(r => r.Payload)); // "b" was the least recently active: released, not lost
        Assert.Equal(3, confirmations.Held);
    }
}
