using System.Collections.Concurrent;
using Pipeline.Contracts;
using Pipeline.Testing;

namespace Pipeline.PeerIndex.Tests;

public sealed class DynamicThrottleTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Select_ReadyPeerBehindAvailableOnes_PicksTheReadyPeer()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(60, 55, 20);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);

        var selection = await selector.SelectAsync(CancellationToken.None);

        Assert.Equal(new PeerSelection(SelectionOutcome.Reserved, "p3"), selection);
    }

    [Fact]
    public async Task Select_NoReadyPeer_PicksFirstAvailableByIndexOrder()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(75, 65, 55);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);

        var selection = await selector.SelectAsync(CancellationToken.None);

        Assert.Equal("p2", selection.PeerId);
    }

    [Fact]
    public async Task Select_EqualLoads_TiesGoToLowestIndex()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(20, 20, 20);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);

        var first = await selector.SelectAsync(CancellationToken.None);
        var second = await selector.SelectAsync(CancellationToken.None);

        Assert.Equal("p1", first.PeerId);
        Assert.Equal("p1", second.PeerId);
    }

    [Fact]
    public async Task Select_AllPeersAtOrAboveAvailableLine_ReturnsNoCapacity()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(70, 85, 99.5);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);

        var selection = await selector.SelectAsync(CancellationToken.None);

        Assert.Equal(SelectionOutcome.NoCapacity, selection.Outcome);
        Assert.Null(selection.PeerId);
        Assert.Equal(1, selector.NoCapacityLookups);
        Assert.All((await index.SnapshotAsync()).Values, p => Assert.Equal(0, p.Reserved));
    }

    [Fact]
    public async Task Select_RamAboveCpu_StatusFollowsTheLarger()
    {
        var index = new IndexHarness(redis.Connection);
        await index.Registry.ReportAsync(IndexHarness.Peer("p1"), new PeerLoad(5, 72, 0), CancellationToken.None);
        await index.Registry.ReportAsync(IndexHarness.Peer("p2"), new PeerLoad(60, 10, 0), CancellationToken.None);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);

        var selection = await selector.SelectAsync(CancellationToken.None);

        Assert.Equal("p2", selection.PeerId);
    }

    [Fact]
    public async Task SelectBatch_MoreLookupsThanCapacity_FillsReadyThenAvailableThenMinusOne()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0, 35, 65, 72);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);

        var batch = await selector.SelectBatchAsync(20, null, CancellationToken.None);

        string?[] expected =
        [
            "p1", "p1", "p1", "p1", "p1", // p1 ready at 0..40
            "p2", "p2",                   // p2 ready at 35, 45
            "p1", "p1",                   // nobody ready: first available p1 at 50, 60
            "p2", "p2",                   // then p2 at 55, 65
            "p3",                         // then p3 at 65
            null, null, null, null, null, null, null, null,
        ];
        Assert.Equal(expected, batch.Select(s => s.PeerId).ToArray());
        var peers = await index.SnapshotAsync();
        Assert.Equal([7, 4, 1, 0], new[] { "p1", "p2", "p3", "p4" }.Select(id => peers[id].Reserved).ToArray());
        Assert.All(peers.Values, p => Assert.True(p.EffectiveLoadPercent <= index.Options.OverloadLinePercent, $"{p.PeerId} at {p.EffectiveLoadPercent}"));
    }

    [Fact]
    public async Task Release_WithFreshLoad_ClearsReservationsTheLoadNowShows()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);
        await selector.SelectBatchAsync(3, null, CancellationToken.None);
        Assert.Equal(30, (await index.SnapshotAsync())["p1"].EffectiveLoadPercent);

        await selector.ReleaseAsync(new PeerSelection(SelectionOutcome.Reserved, "p1"), new PeerLoad(25, 12, 2), CancellationToken.None);

        var peer = (await index.SnapshotAsync())["p1"];
        Assert.Equal(2, peer.Reserved);
        Assert.Equal(0, peer.Pending);
        Assert.Equal(25, peer.EffectiveLoadPercent);
    }

    [Fact]
    public async Task ReleaseBatch_WithoutLoad_SubtractsReservationsAndNeverGoesNegative()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0, 0);
        var selector = index.Selector(PeerSelectionStrategy.RoundRobin);
        await selector.SelectBatchAsync(4, null, CancellationToken.None);

        await selector.ReleaseBatchAsync([new PeerRelease("p1", 1), new PeerRelease("p2", 5)], CancellationToken.None);

        var peers = await index.SnapshotAsync();
        Assert.Equal(1, peers["p1"].Reserved);
        Assert.Equal(0, peers["p2"].Reserved);
    }

    [Fact]
    public async Task ReleaseThenSelect_PeerFreedByTheRelease_IsReservedAgainInOneCall()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0, 65);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);
        var first = await selector.SelectBatchAsync(7, null, CancellationToken.None);
        Assert.All(first, s => Assert.Equal("p1", s.PeerId));

        // One of p1's queries completes (6 still running, 60 %) and its worker asks for two more:
        // nobody is ready, p1 is the first available again, then p2 (65 %).
        var next = await selector.ReleaseThenSelectAsync(new PeerRelease("p1", 1, new PeerLoad(60, 1, 6)), 2, null, CancellationToken.None);

        Assert.Equal(["p1", "p2"], next.Select(s => s.PeerId!).ToArray());
        var peers = await index.SnapshotAsync();
        Assert.Equal(7, peers["p1"].Reserved);
        Assert.Equal(70, peers["p1"].EffectiveLoadPercent);
        Assert.Equal(1, peers["p2"].Reserved);
    }

    [Theory]
    [InlineData(PeerSelectionStrategy.DynamicThrottle, 0, true)]
    [InlineData(PeerSelectionStrategy.DynamicThrottle, 60, true)]
    [InlineData(PeerSelectionStrategy.DynamicThrottle, 69.99, true)]
    [InlineData(PeerSelectionStrategy.DynamicThrottle, 70, false)]
    [InlineData(PeerSelectionStrategy.DynamicThrottle, 95, false)]
    [InlineData(PeerSelectionStrategy.RoundRobin, 0, false)]
    [InlineData(PeerSelectionStrategy.Single, 0, false)]
    public void CanKeepReservation_FreshLoad_KeepsOnlyUnderDynamicThrottleBelowTheAvailableLine(PeerSelectionStrategy strategy, double freshCpu, bool expected)
    {
        var selector = new IndexHarness(redis.Connection).Selector(strategy);

        Assert.Equal(expected, selector.CanKeepReservation(new PeerLoad(freshCpu, 1, 0)));
    }

    [Fact]
    public async Task CanKeepReservation_WorkersKeepTheirSlots_IndexStillAdmitsNothingPastCapacity()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);
        var held = await selector.SelectBatchAsync(7, null, CancellationToken.None);
        Assert.All(held, s => Assert.Equal("p1", s.PeerId));

        // Each of the seven workers completes a query while the other six run (60 %) and keeps its slot.
        Assert.True(selector.CanKeepReservation(new PeerLoad(60, 1, 6)));
        await index.Registry.ReportAsync(IndexHarness.Peer("p1"), new PeerLoad(70, 1, 7), CancellationToken.None);

        Assert.Equal(SelectionOutcome.NoCapacity, (await selector.SelectAsync(CancellationToken.None)).Outcome);
        var peer = (await index.SnapshotAsync())["p1"];
        Assert.Equal(7, peer.Reserved);
        Assert.Equal(70, peer.EffectiveLoadPercent);
    }

    [Fact]
    public async Task Heartbeat_ReportsReservedQueriesRunning_TheyStopCountingAsPending()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(0);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle);
        await selector.SelectBatchAsync(4, null, CancellationToken.None);

        await index.Registry.ReportAsync(IndexHarness.Peer("p1"), new PeerLoad(30, 5, 3), CancellationToken.None);

        var peer = (await index.SnapshotAsync())["p1"];
        Assert.Equal(4, peer.Reserved);
        Assert.Equal(1, peer.Pending);
        Assert.Equal(40, peer.EffectiveLoadPercent);
    }

    [Fact]
    public async Task Select_NoCapacityRepeatedly_SignalsOneRateLimitedScaleRequest()
    {
        var index = new IndexHarness(redis.Connection, o => o.ScaleRequestMinInterval = TimeSpan.FromMinutes(5));
        await index.RegisterAsync(90, 90);
        var sink = new RecordingSink();
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle, sink);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(SelectionOutcome.NoCapacity, (await selector.SelectAsync(CancellationToken.None)).Outcome);
        }

        Assert.True(await IndexHarness.EventuallyAsync(() => Task.FromResult(!sink.Requests.IsEmpty), TimeSpan.FromSeconds(10)));
        var request = Assert.Single(sink.Requests);
        Assert.Equal(index.Options.PeerGroup, request.PeerGroup);
        Assert.Equal("D_THROTTLE", request.Strategy);
        Assert.Equal(2, request.ActivePeers);
        Assert.Equal(1, selector.ScaleRequestsSignalled);
        Assert.Equal(5, selector.NoCapacityLookups);
    }

    private sealed class RecordingSink : IScaleRequestSink
    {
        public ConcurrentQueue<ScaleRequest> Requests { get; } = new();

        public Task PublishAsync(ScaleRequest request, CancellationToken cancellationToken)
        {
            Requests.Enqueue(request);
            return Task.CompletedTask;
        }
    }
}
