using System.Net;
using System.Net.Sockets;
using Pipeline.Platform;
using Prometheus;

namespace Pipeline.Dashboard.Tests;

/// <summary>The endpoint every CLI process serves with <c>--metrics-port</c>.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task StartAsync_ClientsConnectingWhileItStarts_ServesTheProcessMetrics()
    {
        // prometheus-net's HttpListener-based server threw out of Start() when a client connected during it.
        var counter = Metrics.CreateCounter("pipeline_test_metrics_endpoint_total", "Counted by MetricsEndpointTests.");
        counter.Inc(3);
        var port = LoopbackPorts.Free();
        using var stopKnocking = new CancellationTokenSource();
        var knocks = 0;
        var knocking = Task.Run(async () =>
        {
            while (!stopKnocking.IsCancellationRequested)
            {
                using var client = new TcpClient();
                try
                {
                    await client.ConnectAsync(IPAddress.Loopback, port, stopKnocking.Token);
                    Interlocked.Increment(ref knocks);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    // Not listening yet, or stopping.
                }
            }
        });

        await using var endpoint = await MetricsEndpoint.StartAsync(IPAddress.Loopback, port, CancellationToken.None);
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        // Let the knocker reach the listening endpoint at least once (bounded: it is already running).
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); Volatile.Read(ref knocks) == 0 && waited.Elapsed < TimeSpan.FromSeconds(10);)
        {
            await Task.Delay(5);
        }
        await stopKnocking.CancelAsync();
        await knocking;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("pipeline_test_metrics_endpoint_total 3", text, StringComparison.Ordinal);
        Assert.True(knocks > 0, "no connection reached the endpoint while the test knocked");
    }

    [Fact]
    public async Task StartAsync_PortAlreadyBound_ThrowsIOException()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        await Assert.ThrowsAnyAsync<IOException>(() => MetricsEndpoint.StartAsync(IPAddress.Loopback, port, CancellationToken.None));
    }
}
