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
/// Peers added to the network later get no gateway. Thread-safe.
/// </remarks>
public sealed class EmbeddedGatewayHost : IAsyncDisposable
{
    private readonly List<WebApplication> _servers;
    private readonly CommitTracker _tracker;

    private EmbeddedGatewayHost(List<WebApplication> servers, CommitTracker tracker, List<GatewayEndpoint> endpoints)
    {
        _servers = servers;
        _tracker = tracker;
        Endpoints = endpoints;
    }

    /// <summary>One endpoint per peer, in peer order.</summary>
    public IReadOnlyList<GatewayEndpoint> Endpoints { get; }

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
        var servers = new List<WebApplication>();
        var endpoints = new List<GatewayEndpoint>();
        try
        {
            for (var i = 0; i < network.Peers.Count; i++)
            {
                var peer = network.Peers[i];
                var service = new GatewayService(network, peer, membership, endorser, endorserMspId, endorserSign, tracker, logger);
                var server = Build(service, basePort == 0 ? 0 : basePort + i);
                servers.Add(server);
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
                var address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                service.Address = new Uri(address).Authority;
                endpoints.Add(new GatewayEndpoint(peer.Id, address));
                GatewayLog.Listening(logger, peer.Id, address);
            }
        }
        catch
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            tracker.Dispose();
            throw;
        }

        return new EmbeddedGatewayHost(servers, tracker, endpoints);
    }

    /// <summary>Stops every gateway (open streams end).</summary>
    public async ValueTask DisposeAsync()
    {
        _tracker.Dispose();
        foreach (var server in _servers)
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
