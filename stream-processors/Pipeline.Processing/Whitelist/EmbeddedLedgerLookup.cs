using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.PeerIndex;
using StackExchange.Redis;

namespace Pipeline.Processing.Whitelist;

/// <summary>Wires a <see cref="LedgerWhitelistLookup"/> over embedded ledger peers owned by this
/// process: one load reporter per peer publishing to the Redis peer index, a selector with the
/// configured strategy, and the lookup itself.</summary>
/// <remarks>Dispose stops the reporters (which deregister their peers). The ledger network and the
/// Redis connection belong to the caller.</remarks>
public sealed class EmbeddedLedgerLookup : IAsyncDisposable
{
    private readonly List<PeerLoadReporter> _reporters;

    private EmbeddedLedgerLookup(List<PeerLoadReporter> reporters, RedisPeerSelector selector, LedgerWhitelistLookup lookup)
    {
        _reporters = reporters;
        Selector = selector;
        Lookup = lookup;
    }

    /// <summary>The selector (its counters show fallback and no-capacity lookups).</summary>
    public RedisPeerSelector Selector { get; }

    /// <summary>The lookup to hand to <see cref="WhitelistProcessor"/>.</summary>
    public IWhitelistLookup Lookup { get; }

    /// <summary>Registers every peer of <paramref name="network"/> in the index and starts reporting its load.</summary>
    public static async Task<EmbeddedLedgerLookup> StartAsync(
        LedgerNetwork network,
        IConnectionMultiplexer redis,
        PeerIndexOptions options,
        ILoggerFactory loggers,
        string mspId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(loggers);
        var wrapped = Options.Create(options);
        var registry = new RedisPeerRegistry(redis, wrapped);
        var reporters = new List<PeerLoadReporter>();
        for (var i = 0; i < network.Peers.Count; i++)
        {
            var peer = network.Peers[i];
            var reporter = new PeerLoadReporter(registry, new LedgerPeerLoadSource(peer), new PeerRegistration(peer.Id, mspId, $"embedded://{peer.Id}", i),
                wrapped, loggers.CreateLogger<PeerLoadReporter>());
            await reporter.ReportOnceAsync(cancellationToken).ConfigureAwait(false);
            await reporter.StartAsync(cancellationToken).ConfigureAwait(false);
            reporters.Add(reporter);
        }
        var selector = new RedisPeerSelector(redis, wrapped, loggers.CreateLogger<RedisPeerSelector>());
        var lookup = new LedgerWhitelistLookup(selector, network.GetPeer, ClientIdentity.User("whitelist-processor", mspId));
        return new EmbeddedLedgerLookup(reporters, selector, lookup);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var reporter in _reporters)
        {
            await reporter.StopAsync(CancellationToken.None).ConfigureAwait(false);
            reporter.Dispose();
        }
    }
}
