using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Ledger.Fabric.Msp;

namespace Pipeline.Ledger.Fabric.Server;

/// <summary>
/// Puts a Fabric Gateway gRPC service in front of every peer of an embedded <see cref="LedgerNetwork"/>:
/// one Kestrel server per peer on a loopback port (HTTP/2 without TLS), trusting the MSPs of a
/// <see cref="MembershipRegistry"/> and endorsing with the given peer identity.
/// </summary>
/// <remarks>
/// The network, registry and key belong to the caller; dispose this host before the network.
/// Peers added to the network later (<see cref="LedgerNetwork.AddPeerAsync"/>) get a gateway only
/// through <see cref="AddPeerAsync"/>. Thread-safe.
/// </remarks>
public sealed class EmbeddedGatewayHost : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _starting = new(1, 1);
    private readonly List<WebApplication> _servers;
    private readonly CommitTracker _tracker;
    private readonly Func<LedgerPeer, GatewayService> _serviceFor;
    private readonly int _basePort;
    private readonly ILogger _logger;
    private List<GatewayEndpoint> _endpoints;
    private bool _disposed;

    private EmbeddedGatewayHost(CommitTracker tracker, Func<LedgerPeer, GatewayService> serviceFor, int basePort, ILogger logger)
    {
        _servers = [];
        _endpoints = [];
        _tracker = tracker;
        _serviceFor = serviceFor;
        _basePort = basePort;
        _logger = logger;
    }

    /// <summary>One endpoint per served peer: the network's peers at start in peer order, then those added by <see cref="AddPeerAsync"/>.</summary>
    public IReadOnlyList<GatewayEndpoint> Endpoints => Volatile.Read(ref _endpoints);

    /// <summary>
    /// Starts one gateway per peer. Peer <c>i</c> listens on <paramref name="basePort"/> + i, or on a
    /// free port when <paramref name="basePort"/> is 0.
    /// </summary>
    /// <param name="network">The embedded ledger.</param>
    /// <param name="membership">MSPs whose members may call.</param>
    /// <param name="endorserMspId">MSP of the peers' endorsing identity.</param>
    /// <param name="endorserCertificatePem">The peers' certificate (PEM).</param>
    /// <param name="endorserSign">Signs endorsements (DER low-S ECDSA over SHA-256 of the bytes).</param>
    /// <param name="basePort">First port, or 0 for free ports.</param>
    /// <param name="loggerFactory">Logging (default: none).</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static async Task<EmbeddedGatewayHost> StartAsync(
        LedgerNetwork network,
        MembershipRegistry membership,
        string endorserMspId,
        string endorserCertificatePem,
        Func<ReadOnlyMemory<byte>, byte[]> endorserSign,
        int basePort = 0,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(membership);
        ArgumentException.ThrowIfNullOrEmpty(endorserMspId);
        ArgumentException.ThrowIfNullOrEmpty(endorserCertificatePem);
        ArgumentNullException.ThrowIfNull(endorserSign);
        if (basePort is < 0 or > 65535 - 64)
        {
            throw new ArgumentOutOfRangeException(nameof(basePort), basePort, "base port must be 0 (free ports) or 1..65471");
        }

        // The peers' own identity must pass the check they apply to everyone else.
        var endorser = MembershipRegistry.Serialize(endorserMspId, endorserCertificatePem);
        membership.Authenticate(endorser);

        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<EmbeddedGatewayHost>();
        var tracker = new CommitTracker(network);
        var host = new EmbeddedGatewayHost(
            tracker, peer => new GatewayService(network, peer, membership, endorser, endorserMspId, endorserSign, tracker, logger), basePort, logger);
        try
        {
            foreach (var peer in network.Peers)
            {
                await host.AddPeerAsync(peer, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>
    /// Starts a gateway for <paramref name="peer"/> (typically a replica from <see cref="LedgerNetwork.AddPeerAsync"/>),
    /// on <c>basePort</c> + its position among the served peers, or on a free port; returns its
    /// endpoint. A peer already served keeps its gateway and gets its endpoint back.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public async Task<GatewayEndpoint> AddPeerAsync(LedgerPeer peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);

        // One start at a time: the port of a fixed-port host follows the order of starts.
        await _starting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_endpoints.FirstOrDefault(e => e.PeerId == peer.Id) is { } existing)
                {
                    return existing;
                }
            }

            var service = _serviceFor(peer);
            var server = Build(service, _basePort == 0 ? 0 : _basePort + _endpoints.Count);
            try
            {
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            service.Address = new Uri(address).Authority;
            var endpoint = new GatewayEndpoint(peer.Id, address);
            bool disposed;
            lock (_gate)
            {
                disposed = _disposed;
                if (!disposed)
                {
                    _servers.Add(server);
                    Volatile.Write(ref _endpoints, [.. _endpoints, endpoint]);
                }
            }

            if (disposed)
            {
                await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await server.DisposeAsync().ConfigureAwait(false);
                throw new ObjectDisposedException(nameof(EmbeddedGatewayHost), $"the host was disposed while {peer.Id}'s gateway started");
            }

            GatewayLog.Listening(_logger, peer.Id, address);
            return endpoint;
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <summary>Stops every gateway (open streams end).</summary>
    public async ValueTask DisposeAsync()
    {
        List<WebApplication> servers;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            servers = [.. _servers];
        }

        _tracker.Dispose();
        foreach (var server in servers)
        {
            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static WebApplication Build(GatewayService service, int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
        });
        builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = 32 * 1024 * 1024);
        builder.Services.AddSingleton(service);
        var app = builder.Build();
        app.MapGrpcService<GatewayService>();
        return app;
    }
}
