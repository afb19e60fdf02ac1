using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Pipeline.Dashboard;

/// <summary>
/// Prometheus text of the process (prometheus-net's default registry, which includes every .NET <c>Meter</c>) at
/// <c>http://ADDRESS:PORT/metrics</c>, served by Kestrel: what <c>--metrics-port</c> starts in every CLI process.
/// </summary>
/// <remarks>prometheus-net's own <c>MetricServer</c> is built on <see cref="HttpListener"/>, whose managed
/// implementation throws <see cref="ArgumentNullException"/> out of <c>Start()</c> when a client connects while it
/// starts (dotnet/corefx#35191): a scraper polling the port killed the scoring process at start-up.</remarks>
public sealed class MetricsEndpoint : IAsyncDisposable, IDisposable
{
    private readonly WebApplication _app;

    private MetricsEndpoint(WebApplication app) => _app = app;

    /// <summary>Starts serving; returns once Kestrel is listening.</summary>
    /// <exception cref="IOException">The port cannot be bound (in use, no permission).</exception>
    public static async Task<MetricsEndpoint> StartAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(MetricsEndpoint).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(address, port));
        var app = builder.Build();
        Map(app);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new MetricsEndpoint(app);
    }

    /// <summary>Maps <c>GET /metrics</c> to the Prometheus text of the default registry (here and in the dashboard).</summary>
    internal static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
