using System.Net;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.PeerIndex;
using Pipeline.Platform.Kafka;
using StackExchange.Redis;

namespace Pipeline.Dashboard;

/// <summary>The analyst/operator web dashboard: a static page plus JSON endpoints (/api/alerts,
/// /api/rates, /api/models, /api/peers, /api/lag, /healthz) and Prometheus text at /metrics.</summary>
/// <remarks>Background feeds consume <c>alerts</c> and <c>fl.global-model</c> in private groups from
/// the beginning, poll the Redis peer index and read consumer lag. Dispose to stop everything.</remarks>
public sealed class DashboardHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DashboardState _state;
    private readonly ConnectionMultiplexer? _redis;

    private DashboardHost(WebApplication app, DashboardState state, ConnectionMultiplexer? redis, Uri url)
    {
        _app = app;
        _state = state;
        _redis = redis;
        Url = url;
    }

    /// <summary>Where the dashboard listens, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Url { get; }

    /// <summary>What the feeds have collected so far.</summary>
    public DashboardState State => _state;

    /// <summary>Starts the dashboard; returns once Kestrel is listening.</summary>
    /// <param name="options">Port, history, lag groups.</param>
    /// <param name="clients">Kafka clients (bootstrap servers, topic prefix).</param>
    /// <param name="peerIndex">Peer index to poll (Redis endpoint, key prefix, peer group); null shows no peers.</param>
    /// <param name="loggerFactory">Logging for the web host and the feeds.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static async Task<DashboardHost> StartAsync(
        DashboardOptions options, KafkaClientFactory clients, PeerIndexOptions? peerIndex, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clients);
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Dashboard:Port {options.Port} is not a TCP port (0-65535, 0 = any free port)");
        }
        if (!IPAddress.TryParse(options.BindAddress, out var address))
        {
            throw new ArgumentException($"Dashboard:BindAddress '{options.BindAddress}' is not an IP address", nameof(options));
        }

        var logger = loggerFactory.CreateLogger<DashboardHost>();
        var state = new DashboardState(options);
        var redis = peerIndex is null ? null : await PeerIndexConnection.ConnectAsync(peerIndex.Redis).ConfigureAwait(false);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(DashboardHost).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrel(k => k.Listen(address, options.Port));
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
            j.SerializerOptions.TypeInfoResolverChain.Insert(0, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver());
        });
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(_ => new KafkaFeed<Alert>(clients, Topics.Alerts, state.AddAlert, logger));
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(_ => new KafkaFeed<GlobalModel>(clients, Topics.FlGlobalModel, state.AddModel, logger));
        // AddSingleton<IHostedService>, not AddHostedService: the latter de-duplicates by type, which would drop the second PollingFeed.
        var lagReader = new ConsumerLagReader(clients);
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(_ => new PollingFeed("lag", options.PollInterval, async ct =>
        {
            var all = new List<PartitionLag>();
            foreach (var (group, topics) in options.LagGroups)
            {
                all.AddRange(await lagReader.ReadAsync([group], topics, ct).ConfigureAwait(false));
            }
            state.SetLag(all);
        }, logger));
        if (redis is not null && peerIndex is not null)
        {
            var registry = new RedisPeerRegistry(redis, Options.Create(peerIndex));
            builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(_ => new PollingFeed("peers", options.PollInterval, async ct => state.SetPeers(await registry.ListAsync(ct).ConfigureAwait(false)), logger));
        }

        var app = builder.Build();
        MapEndpoints(app, state);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = new Uri(bound.EndsWith('/') ? bound : bound + "/");
        DashboardLog.Listening(logger, url.ToString());
        return new DashboardHost(app, state, redis, url);
    }

    /// <summary>Convenience overload: the peer index at <paramref name="redisEndpoint"/> with default key prefix and group.</summary>
    public static Task<DashboardHost> StartAsync(
        DashboardOptions options, KafkaClientFactory clients, string? redisEndpoint, ILoggerFactory loggerFactory, CancellationToken cancellationToken) =>
        StartAsync(options, clients, string.IsNullOrWhiteSpace(redisEndpoint) ? null : new PeerIndexOptions { Redis = redisEndpoint }, loggerFactory, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _state.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void MapEndpoints(WebApplication app, DashboardState state)
    {
        app.MapGet("/", async context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await using var page = typeof(DashboardHost).Assembly.GetManifestResourceStream("Pipeline.Dashboard.index.html")
                ?? throw new InvalidOperationException("embedded resource Pipeline.Dashboard.index.html is missing from the assembly");
            await page.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/api/alerts", (int? limit) => state.Alerts().Take(Math.Clamp(limit ?? 100, 1, 10_000)));
        app.MapGet("/api/rates", () => state.Rates());
        app.MapGet("/api/models", () => state.Models());
        app.MapGet("/api/peers", () => state.Peers());
        app.MapGet("/api/lag", () => state.Lag().Select(l => new { l.Group, l.Topic, l.Partition, l.Committed, l.LowWatermark, l.HighWatermark, l.Lag }));
        MetricsEndpoint.Map(app);
    }

}
