using Grpc.Net.Client;
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
    private readonly List<IAsyncDisposable> _owned;

    private EmbeddedLedgerLookup(List<PeerLoadReporter> reporters, RedisPeerSelector selector, IWhitelistLookup lookup, List<IAsyncDisposable> owned)
    {
        _reporters = reporters;
        _owned = owned;
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
        var owned = new List<IAsyncDisposable>();
        IReadOnlyList<GatewayEndpoint> endpoints = [];
        Func<int, string> endpointOf = i => $"embedded://{network.Peers[i].Id}";
        Func<string, Contract>? contracts = null;
        if (transport == WhitelistTransport.Gateway)
        {
            (endpoints, contracts) = await StartGatewaysAsync(network, mspId, gatewayIdentity, loggers, owned, cancellationToken).ConfigureAwait(false);
            var byIndex = endpoints;
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
        IWhitelistLookup lookup = contracts is null
            ? new LedgerWhitelistLookup(selector, network.GetPeer, ClientIdentity.User("whitelist-processor", mspId))
            : new GatewayWhitelistLookup(selector, contracts, id => LedgerPeerLoadSource.Read(network.GetPeer(id)));
        return new EmbeddedLedgerLookup(reporters, selector, lookup, owned) { GatewayEndpoints = endpoints };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var reporter in _reporters)
        {
            await reporter.StopAsync(CancellationToken.None).ConfigureAwait(false);
            reporter.Dispose();
        }

        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<(IReadOnlyList<GatewayEndpoint>, Func<string, Contract>)> StartGatewaysAsync(
        LedgerNetwork network, string mspId, string identityName, ILoggerFactory loggers, List<IAsyncDisposable> owned, CancellationToken cancellationToken)
    {
        var dir = network.Options.DataDirectory;
        if (!File.Exists(MspLayout.CaCertificate(dir, mspId)))
        {
            MspGenerator.Generate(dir, mspId);
        }

        var membership = MembershipRegistry.Load(dir);
        owned.Add(new Releasing(membership.Dispose));
        var endorser = Signer.FromLedgerDirectory(dir, mspId, MspLayout.Peer);
        owned.Add(new Releasing(endorser.Dispose));
        var host = await EmbeddedGatewayHost.StartAsync(
            network,
            membership,
            mspId,
            Identity.FromLedgerDirectory(dir, mspId, MspLayout.Peer).CertificatePem,
            bytes => endorser.Sign(bytes.Span),
            basePort: 0,
            loggers,
            cancellationToken).ConfigureAwait(false);
        owned.Add(host);

        var identity = Identity.FromLedgerDirectory(dir, mspId, identityName);
        var signer = Signer.FromLedgerDirectory(dir, mspId, identityName);
        owned.Add(new Releasing(signer.Dispose));
        var contracts = new Dictionary<string, Contract>(StringComparer.Ordinal);
        foreach (var endpoint in host.Endpoints)
        {
            var channel = GrpcChannel.ForAddress(endpoint.Address);
            owned.Add(new Releasing(channel.Dispose));
            contracts[endpoint.PeerId] = Gateway.Connect(identity, signer, channel).GetNetwork(network.Options.ChannelName).GetContract(network.ContractName);
        }

        return (host.Endpoints, id => contracts.TryGetValue(id, out var contract)
            ? contract
            : throw new WhitelistLookupException($"peer {id} has no gateway in this process (peers added after start are reached in-process only)", id));
    }

    private sealed class Releasing(Action release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            release();
            return ValueTask.CompletedTask;
        }
    }
}
