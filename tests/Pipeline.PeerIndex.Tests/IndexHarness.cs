using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.PeerIndex;
using Pipeline.Testing;
using StackExchange.Redis;

namespace Pipeline.PeerIndex.Tests;

/// <summary>Builds a registry and selectors over one key prefix of a test's redis-server.</summary>
internal sealed class IndexHarness
{
    public IndexHarness(IConnectionMultiplexer redis, Action<PeerIndexOptions>? configure = null)
    {
        Redis = redis;
        Options = new PeerIndexOptions { KeyPrefix = RedisServer.NewKeyPrefix() };
        configure?.Invoke(Options);
        Registry = new RedisPeerRegistry(redis, Microsoft.Extensions.Options.Options.Create(Options));
    }

    public IConnectionMultiplexer Redis { get; }

    public PeerIndexOptions Options { get; }

    public RedisPeerRegistry Registry { get; }

    public RedisPeerSelector Selector(PeerSelectionStrategy strategy, IScaleRequestSink? sink = null, IConnectionMultiplexer? redis = null) =>
        new(redis ?? Redis, Microsoft.Extensions.Options.Options.Create(WithStrategy(strategy)), NullLogger<RedisPeerSelector>.Instance, sink);

    public PeerIndexOptions WithStrategy(PeerSelectionStrategy strategy) => new()
    {
        Redis = Options.Redis,
        KeyPrefix = Options.KeyPrefix,
        PeerGroup = Options.PeerGroup,
        Strategy = strategy,
        ReadyBelowPercent = Options.ReadyBelowPercent,
        AvailableBelowPercent = Options.AvailableBelowPercent,
        OverloadLinePercent = Options.OverloadLinePercent,
        QueryCostPercent = Options.QueryCostPercent,
        HeartbeatTtl = Options.HeartbeatTtl,
        ReportInterval = Options.ReportInterval,
        ReservationTimeout = Options.ReservationTimeout,
        KnownPeersRefresh = Options.KnownPeersRefresh,
        RedisProbeInterval = Options.RedisProbeInterval,
        ScaleRequestMinInterval = Options.ScaleRequestMinInterval,
    };

    /// <summary>Registers peers p1..pN in that order with the given CPU loads (RAM 0, nothing running).</summary>
    public async Task<string[]> RegisterAsync(params double[] cpuLoads)
    {
        var ids = new string[cpuLoads.Length];
        for (var i = 0; i < cpuLoads.Length; i++)
        {
            ids[i] = $"p{i + 1}";
            await Registry.ReportAsync(Peer(ids[i]), new PeerLoad(cpuLoads[i], 0, 0), CancellationToken.None);
        }

        return ids;
    }

    public static PeerRegistration Peer(string id, string msp = "Org1MSP") => new(id, msp, $"embedded://{id}");

    public async Task<Dictionary<string, PeerSnapshot>> SnapshotAsync() =>
        (await Registry.ListAsync(CancellationToken.None)).ToDictionary(p => p.PeerId);

    /// <summary>Polls a condition until it holds or the deadline passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan deadline, Func<Task>? eachRound = null)
    {
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            if (eachRound is not null)
            {
                await eachRound();
            }

            if (await condition())
            {
                return true;
            }

            // Poll interval only; the loop ends on the condition or the deadline.
            await Task.Delay(25);
        }

        return await condition();
    }
}
