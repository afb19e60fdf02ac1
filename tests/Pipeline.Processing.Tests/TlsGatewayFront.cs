using System.Net;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Ledger.Fabric.Protos.Gateway;

namespace Pipeline.Processing.Tests;

/// <summary>A Fabric Gateway service served over TLS on loopback (Kestrel, the given certificate) whose
/// Evaluate passes each signed proposal on, unchanged, to a plaintext embedded gateway. The embedded
/// gateways speak h2c only; this puts a real TLS gRPC server in front of one for the external-peer
/// TLS test (a byte relay cannot: Kestrel refuses an "https" :scheme on a plaintext connection).</summary>
internal sealed class TlsGatewayFront : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _upstream;

    private TlsGatewayFront(WebApplication app, GrpcChannel upstream, string address)
    {
        _app = app;
        _upstream = upstream;
        Address = address;
    }

    /// <summary>https://127.0.0.1:port.</summary>
    public string Address { get; }

    /// <param name="certificate">Server certificate with its key.</param>
    /// <param name="upstreamAddress">The plaintext gateway (http://127.0.0.1:port).</param>
    /// <param name="beforeForward">Awaited before each Evaluate is passed on (holds calls in flight), or null.</param>
    public static async Task<TlsGatewayFront> StartAsync(X509Certificate2 certificate, string upstreamAddress, Func<Task>? beforeForward = null)
    {
        var upstream = GrpcChannel.ForAddress(upstreamAddress);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(certificate);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new Gateway.GatewayClient(upstream));
        builder.Services.AddSingleton(new ForwardGate(beforeForward ?? (() => Task.CompletedTask)));
        var app = builder.Build();
        app.MapGrpcService<ForwardingGateway>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TlsGatewayFront(app, upstream, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    /// <summary>Evaluate only: what the whitelist lookup calls.</summary>
    internal sealed class ForwardingGateway(Gateway.GatewayClient upstream, ForwardGate gate) : Gateway.GatewayBase
    {
        public override async Task<EvaluateResponse> Evaluate(EvaluateRequest request, ServerCallContext context)
        {
            await gate.Wait();
            return await upstream.EvaluateAsync(request, cancellationToken: context.CancellationToken);
        }
    }

    internal sealed record ForwardGate(Func<Task> Wait);
}
