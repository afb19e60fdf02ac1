using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;

namespace Pipeline.PeerIndex.Tests;

public sealed class PeerScalerUnitTests
{
    private static ScaleRequest Request() => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        PeerGroup = "whitelist",
        Strategy = "D_THROTTLE",
        Reason = "test",
        ActivePeers = 4,
        RequestedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public async Task HandleAsync_RequestsWithinCooldown_StartOneReplica()
    {
        var launcher = new CountingLauncher();
        using var scaler = new PeerScaler(launcher, Options.Create(new PeerScalerOptions { MaxReplicas = 5, Cooldown = TimeSpan.FromHours(1) }), NullLogger<PeerScaler>.Instance);

        var first = await scaler.HandleAsync(Request(), CancellationToken.None);
        var second = await scaler.HandleAsync(Request(), CancellationToken.None);

        Assert.Equal("r1", first);
        Assert.Null(second);
        Assert.Equal(1, launcher.Started);
    }

    [Fact]
    public async Task HandleAsync_MaxReplicasReached_IgnoresFurtherRequests()
    {
        var launcher = new CountingLauncher();
        using var scaler = new PeerScaler(launcher, Options.Create(new PeerScalerOptions { MaxReplicas = 2, Cooldown = TimeSpan.Zero }), NullLogger<PeerScaler>.Instance);

        for (var i = 0; i < 4; i++)
        {
            await scaler.HandleAsync(Request(), CancellationToken.None);
        }

        Assert.Equal(["r1", "r2"], scaler.StartedReplicas);
        Assert.Equal(2, launcher.Started);
    }

    private sealed class CountingLauncher : IPeerReplicaLauncher
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public Task<string> StartReplicaAsync(string peerGroup, CancellationToken cancellationToken) =>
            Task.FromResult($"r{Interlocked.Increment(ref _started)}");
    }
}
