using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Server;
using Pipeline.PeerIndex;
using StackExchange.Redis;

namespace Pipeline.Processing.Whitelist;

/// <summary>Wires a whitelist lookup over embedded ledger peers owned by this process: one load
/// reporter per peer publishing to the Redis peer index, a selector with the configured strategy,
/// and the lookup itself — in-process (<see cref="LedgerWhitelistLookup"/>) or over each peer's
/// Fabric Gateway gRPC service on loopback (<see cref="GatewayWhitelistLookup"/>).</summary>
/// <remarks>Dispose stops the reporters (which deregister their peers) and, for the Gateway
/// transport, the gateways and their channels. The ledger network and the Redis connection belong
/// to the caller. The Gateway transport uses the MSP material in the ledger data directory
/// (<c>pipeline ledger init</c>) and generates it for <c>mspId</c> when there is none.</remarks>
public sealed class EmbeddedLedgerLookup : IAsyncDisposable
{
    private readonly List<PeerLoadReporter> _reporters;
    private readonly EmbeddedPeerGateways? _gateways;

    private EmbeddedLedgerLookup(List<PeerLoadReporter> reporters, RedisPeerSelector selector, IWhitelistLookup lookup, EmbeddedPeerGateways? gateways)
    {
        _reporters = reporters;
        _gateways = gateways;
        Selector = selector;
        Lookup = lookup;
    }

    /// <summary>The selector (its counters show fallback and no-capacity lookups).</summary>
    public RedisPeerSelector Selector { get; }

    /// <summary>The lookup to hand to <see cref="WhitelistProcessor"/>.</summary>
    public IWhitelistLookup Lookup { get; }

    /// <summary>Gateway endpoints (one per peer) when the transport is Gateway; otherwise empty.</summary>
    public IReadOnlyList<GatewayEndpoint> GatewayEndpoints { get; private init; } = [];

    /// <summary>Registers every peer of <paramref name="network"/> in the index and starts reporting its load (in-process transport).</summary>
    public static Task<EmbeddedLedgerLookup> StartAsync(
        LedgerNetwork network,
        IConnectionMultiplexer redis,
        PeerIndexOptions options,
        ILoggerFactory loggers,
        string mspId,
        CancellationToken cancellationToken) =>
        StartAsync(network, redis, options, loggers, mspId, WhitelistTransport.InProcess, MspLayout.User, cancellationToken);

    /// <summary>Registers every peer of <paramref name="network"/> in the index, starts reporting its load,
    /// and builds the lookup for <paramref name="transport"/>, signing Gateway proposals as <paramref name="gatewayIdentity"/> of <paramref name="mspId"/>.</summary>
    public static async Task<EmbeddedLedgerLookup> StartAsync(
        LedgerNetwork network,
        IConnectionMultiplexer redis,
        PeerIndexOptions options,
        ILoggerFactory loggers,
        string mspId,
        WhitelistTransport transport,
        string gatewayIdentity,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(loggers);
        var wrapped = Options.Create(options);
        var registry = new RedisPeerRegistry(redis, wrapped);
        IReadOnlyList<GatewayEndpoint> endpoints = [];
        Func<int, string> endpointOf = i => $"embedded://{network.Peers[i].Id}";
        EmbeddedPeerGateways? gateways = null;
        if (transport == WhitelistTransport.Gateway)
        {
            gateways = await EmbeddedPeerGateways.StartAsync(network, mspId, gatewayIdentity, loggers, cancellationToken).ConfigureAwait(false);
            var byIndex = gateways.Endpoints;
            endpoints = byIndex;
            endpointOf = i => byIndex[i].Address;
        }

        var reporters = new List<PeerLoadReporter>();
        for (var i = 0; i < network.Peers.Count; i++)
        {
            var peer = network.Peers[i];
            var reporter = new PeerLoadReporter(registry, new LedgerPeerLoadSource(peer), new PeerRegistration(peer.Id, mspId, endpointOf(i), i),
                wrapped, loggers.CreateLogger<PeerLoadReporter>());
            await reporter.ReportOnceAsync(cancellationToken).ConfigureAwait(false);
            await reporter.StartAsync(cancellationToken).ConfigureAwait(false);
            reporters.Add(reporter);
        }
        var selector = new RedisPeerSelector(redis, wrapped, loggers.CreateLogger<RedisPeerSelector>());
        IWhitelistLookup lookup = gateways is null
            ? new LedgerWhitelistLookup(selector, network.GetPeer, ClientIdentity.User("whitelist-processor", mspId))
            : new GatewayWhitelistLookup(selector, id => ContractOf(gateways, id), id => LedgerPeerLoadSource.Read(network.GetPeer(id)));
        return new EmbeddedLedgerLookup(reporters, selector, lookup, gateways) { GatewayEndpoints = endpoints };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var reporter in _reporters)
        {
            await reporter.StopAsync(CancellationToken.None).ConfigureAwait(false);
            reporter.Dispose();
        }

        if (_gateways is not null)
        {
            await _gateways.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static Contract ContractOf(EmbeddedPeerGateways gateways, string peerId) =>
        gateways.TryGetContract(peerId, out var contract)
            ? contract
            : throw new WhitelistLookupException($"peer {peerId} has no gateway in this process (peers added after start are reached in-process only)", peerId);
}
