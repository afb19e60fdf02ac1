using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Chaincode;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// Hosts a contract as Fabric chaincode-as-a-service: a Kestrel gRPC server (HTTP/2 without TLS, or TLS
/// with optional client certificates) implementing <c>protos.Chaincode/Connect</c>, which the peer dials
/// using the address in the package's <c>connection.json</c>.
/// </summary>
/// <remarks>
/// Several peers may connect at once; each stream registers with the configured package id and runs
/// transactions concurrently (at most <see cref="ChaincodeServerOptions.MaxConcurrentTransactions"/>
/// across the server). Dispose stops listening, ends open streams and waits for running transactions.
/// </remarks>
public sealed class ChaincodeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SemaphoreSlim _slots;

    private ChaincodeServer(WebApplication app, SemaphoreSlim slots, string address)
    {
        _app = app;
        _slots = slots;
        Address = address;
    }

    /// <summary>Bound address as <c>host:port</c> (the actual port when 0 was asked for).</summary>
    public string Address { get; }

    /// <summary>Starts listening; returns once Kestrel accepts connections.</summary>
    /// <param name="options">Address, package id, TLS and limits (validated here).</param>
    /// <param name="contract">The contract to serve; default <see cref="WhitelistContract"/>.</param>
    /// <param name="loggerFactory">Logging; default none.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <exception cref="ArgumentException">An option is invalid or the address cannot be resolved; the message names it.</exception>
    public static async Task<ChaincodeServer> StartAsync(
        ChaincodeServerOptions options, IContract? contract = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        contract ??= new WhitelistContract();
        loggerFactory ??= NullLoggerFactory.Instance;
        var endpoint = await ResolveAsync(options.Address, cancellationToken).ConfigureAwait(false);
        var tls = options.TlsEnabled ? LoadTls(options) : null;

        var logger = loggerFactory.CreateLogger<ChaincodeServer>();
        var slots = new SemaphoreSlim(options.MaxConcurrentTransactions, options.MaxConcurrentTransactions);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ChaincodeServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        // The caller owns Ctrl+C handling and says where it listens; no "Application started" banner.
        builder.Services.Configure<Microsoft.Extensions.Hosting.ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton(new ChaincodeServiceContext(contract, options, slots, logger));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxMessageBytes;
            grpc.MaxSendMessageSize = options.MaxMessageBytes;
            grpc.EnableDetailedErrors = false;
        });
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(endpoint, listen =>
            {
                // Fabric's peer speaks HTTP/2 with prior knowledge when tls_required is false (h2c).
                listen.Protocols = HttpProtocols.Http2;
                if (tls is not null)
                {
                    listen.UseHttps(tls);
                }
            });
        });

        var app = builder.Build();
        app.MapGrpcService<ChaincodeService>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            slots.Dispose();
            throw;
        }

        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var address = $"{bound.Host}:{bound.Port}";
        ChaincodeLog.Listening(logger, options.PackageId, contract.Name, address);
        return new ChaincodeServer(app, slots, address);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _slots.Dispose();
    }

    private static async Task<IPEndPoint> ResolveAsync(string address, CancellationToken cancellationToken)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new ArgumentException($"Chaincode:Address '{address}' is not HOST:PORT (e.g. 0.0.0.0:9999, [::]:9999, chaincode:9999)");
        }

        if (IPAddress.TryParse(address.AsSpan(0, colon).Trim('[').Trim(']'), out var ip))
        {
            return new IPEndPoint(ip, port);
        }

        var host = address[..colon];
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new ArgumentException($"Chaincode:Address '{address}': host '{host}' does not resolve ({ex.Message})", ex);
        }

        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"Chaincode:Address '{address}': host '{host}' has no addresses");
        return new IPEndPoint(chosen, port);
    }

    private static HttpsConnectionAdapterOptions LoadTls(ChaincodeServerOptions options)
    {
        X509Certificate2 certificate;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(options.TlsCertificateFile!, options.TlsKeyFile!);
            // Re-import so the private key is usable by SslStream on every platform.
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new ArgumentException(
                $"Chaincode TLS: cannot load certificate '{options.TlsCertificateFile}' with key '{options.TlsKeyFile}': {ex.Message}", ex);
        }

        var https = new HttpsConnectionAdapterOptions { ServerCertificate = certificate };
        if (!string.IsNullOrWhiteSpace(options.ClientCaFile))
        {
            var authorities = new X509Certificate2Collection();
            try
            {
                authorities.ImportFromPemFile(options.ClientCaFile);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"Chaincode:ClientCaFile '{options.ClientCaFile}' is not readable PEM: {ex.Message}", ex);
            }

            if (authorities.Count == 0)
            {
                throw new ArgumentException($"Chaincode:ClientCaFile '{options.ClientCaFile}' holds no certificate");
            }

            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (client, _, _) => ChainsTo(client, authorities);
        }

        return https;
    }

    private static bool ChainsTo(X509Certificate2 client, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(client);
    }
}
