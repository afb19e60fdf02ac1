using Pipeline.Testing;

namespace Pipeline.PeerIndex.Tests;

public sealed class SingleAndRoundRobinTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Single_FirstPeerOverloaded_StillPicksTheFirstPeer()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(95, 0, 0);
        var selector = index.Selector(PeerSelectionStrategy.Single);

        var batch = await selector.SelectBatchAsync(5, null, CancellationToken.None);

        Assert.All(batch, s => Assert.Equal(new PeerSelection(SelectionOutcome.Reserved, "p1"), s));
        Assert.Equal(5, (await index.SnapshotAsync())["p1"].Reserved);
    }

    [Fact]
    public async Task Single_WithMspScope_PicksTheOrganisationsFirstPeer()
    {
        var index = new IndexHarness(redis.Connection);
        await index.Registry.ReportAsync(IndexHarness.Peer("a1", "Org1MSP"), new PeerLoad(0, 0, 0), CancellationToken.None);
        await index.Registry.ReportAsync(IndexHarness.Peer("b1", "Org2MSP"), new PeerLoad(0, 0, 0), CancellationToken.None);
        await index.Registry.ReportAsync(IndexHarness.Peer("b2", "Org2MSP"), new PeerLoad(0, 0, 0), CancellationToken.None);
        var selector = index.Selector(PeerSelectionStrategy.Single);

        var selection = (await selector.SelectBatchAsync(1, "Org2MSP", CancellationToken.None))[0];

        Assert.Equal("b1", selection.PeerId);
    }

    [Fact]
    public async Task Single_FirstPeerDeregistered_MovesToTheNextPeer()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(10, 10);
        var selector = index.Selector(PeerSelectionStrategy.Single);
        Assert.Equal("p1", (await selector.SelectAsync(CancellationToken.None)).PeerId);

        Assert.True(await index.Registry.DeregisterAsync("p1", CancellationToken.None));

        Assert.Equal("p2", (await selector.SelectAsync(CancellationToken.None)).PeerId);
    }

    [Fact]
    public async Task RoundRobin_IgnoresLoad_CyclesInIndexOrder()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0, 99, 40);
        var selector = index.Selector(PeerSelectionStrategy.RoundRobin);

        var single = await selector.SelectAsync(CancellationToken.None);
        var batch = await selector.SelectBatchAsync(5, null, CancellationToken.None);

        Assert.Equal(["p1", "p2", "p3", "p1", "p2", "p3"], new[] { single }.Concat(batch).Select(s => s.PeerId!).ToArray());
    }

    [Fact]
    public async Task RoundRobin_TwoClients_ShareOneCursor()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0, 0);
        var first = index.Selector(PeerSelectionStrategy.RoundRobin);
        var second = index.Selector(PeerSelectionStrategy.RoundRobin);

        var a = await first.SelectAsync(CancellationToken.None);
        var b = await second.SelectAsync(CancellationToken.None);

        Assert.Equal("p1", a.PeerId);
        Assert.Equal("p2", b.PeerId);
    }

    [Fact]
    public async Task Select_NoPeerRegistered_ReturnsNoCapacityForEveryStrategy()
    {
        var index = new IndexHarness(redis.Connection);

        foreach (var strategy in Enum.GetValues<PeerSelectionStrategy>())
        {
            var selection = await index.Selector(strategy).SelectAsync(CancellationToken.None);
            Assert.Equal(SelectionOutcome.NoCapacity, selection.Outcome);
        }
    }
}
