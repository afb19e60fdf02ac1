using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Testing;

namespace Pipeline.PeerIndex.Tests;

public sealed class PeerScalerTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task DynamicThrottle_NoCapacity_ScalerStartsAReplicaThatJoinsTheIndex()
    {
        var index = new IndexHarness(redis.Connection);
        await index.RegisterAsync(75, 80);
        var launcher = new RegisteringLauncher(index.Registry);
        using var scaler = new PeerScaler(
            launcher, Options.Create(new PeerScalerOptions { MaxReplicas = 1 }), NullLogger<PeerScaler>.Instance);
        var sink = new AwaitableSink(scaler);
        var selector = index.Selector(PeerSelectionStrategy.DynamicThrottle, sink);

        Assert.Equal(SelectionOutcome.NoCapacity, (await selector.SelectAsync(CancellationToken.None)).Outcome);

        PeerSelection selection = default;
        var served = await IndexHarness.EventuallyAsync(
            async () => (selection = await selector.SelectAsync(CancellationToken.None)).HasPeer,
            TimeSpan.FromSeconds(10));
        Assert.True(served, "the replica should join the index and take the query");
        Assert.Equal("replica1", selection.PeerId);

        // The launcher registers the replica before the scaler records it, so the query can be
        // served while the scaler's request is still finishing: wait for the request itself.
        Assert.Equal("replica1", await sink.Handled);
        Assert.Equal(["replica1"], scaler.StartedReplicas);
    }

    /// <summary>Hands the selector's first request to the scaler and exposes its completion.</summary>
    private sealed class AwaitableSink(PeerScaler scaler) : IScaleRequestSink
    {
        private readonly TaskCompletionSource<Task<string?>> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string?> Handled => _first.Task.Unwrap();

        public Task PublishAsync(ScaleRequest request, CancellationToken cancellationToken)
        {
            var handled = scaler.HandleAsync(request, cancellationToken);
            _first.TrySetResult(handled);
            return handled;
        }
    }

    private sealed class RegisteringLauncher(RedisPeerRegistry registry) : IPeerReplicaLauncher
    {
        private int _started;

        public async Task<string> StartReplicaAsync(string peerGroup, CancellationToken cancellationToken)
        {
            var id = $"replica{Interlocked.Increment(ref _started)}";
            await registry.ReportAsync(IndexHarness.Peer(id), new PeerLoad(0, 5, 0), cancellationToken);
            return id;
        }
    }
}
