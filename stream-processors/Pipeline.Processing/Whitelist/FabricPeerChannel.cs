using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace Pipeline.Processing.Whitelist;

/// <summary>The gRPC channel to one external Fabric peer's Gateway service: plaintext HTTP/2 for an
/// <c>http://</c> endpoint, TLS for <c>https://</c> trusting only the peer's configured CA file (Fabric
/// networks issue TLS certificates from their own CAs, which no system store trusts).</summary>
/// <remarks>The TLS check builds the presented chain against the CA file's certificates alone
/// (custom root trust, no revocation lookup: cryptogen CAs publish none) and matches the leaf
/// certificate's DNS/IP names against <see cref="FabricPeerOptions.ServerNameOverride"/> or, when that
/// is empty, the endpoint's host. The system's own verdict is not consulted.</remarks>
public static class FabricPeerChannel
{
    /// <summary>Opens a channel to <paramref name="peer"/>; the caller disposes it.</summary>
    /// <param name="peer">A validated peer entry (<see cref="WhitelistOptions.Validate"/>).</param>
    /// <param name="key">The entry's configuration key (e.g. <c>Processing:Whitelist:FabricPeers:0</c>), for error messages.</param>
    /// <exception cref="ArgumentException">The endpoint is not a URI, or the TLS CA file cannot be read or holds no certificate; the message names the key and the path.</exception>
    public static GrpcChannel Create(FabricPeerOptions peer, string key)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!Uri.TryCreate(peer.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"{key}:Endpoint of peer '{peer.Id}' must be a URI https://host:port or http://host:port, got '{peer.Endpoint}'");
        }

        var handler = new SocketsHttpHandler
        {
            // Many lookups run at once per peer: let the handler open more than one HTTP/2 connection
            // when a connection's stream limit is reached, and keep idle connections alive.
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        };
        if (endpoint.Scheme == Uri.UriSchemeHttps)
        {
            var roots = LoadTrustedRoots(peer.TlsCaFile, $"{key}:TlsCaFile");
            var hostName = string.IsNullOrWhiteSpace(peer.ServerNameOverride) ? endpoint.IdnHost : peer.ServerNameOverride.Trim();
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, _) => IsTrusted(certificate, chain, roots, hostName),
            };
        }

        return GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    /// <summary>The CA certificates in a PEM file.</summary>
    /// <exception cref="ArgumentException">The file cannot be read, is not PEM, or holds no certificate; the message names <paramref name="key"/> and <paramref name="path"/>.</exception>
    public static X509Certificate2Collection LoadTrustedRoots(string path, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException($"{key} is empty: it must name a PEM file with the CA certificate(s) of the peer's TLS certificate");
        }

        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{key}: cannot read TLS CA file '{path}': {e.Message}", e);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"{key}: TLS CA file '{path}' is not a PEM certificate file: {e.Message}", e);
        }

        if (roots.Count == 0)
        {
            throw new ArgumentException($"{key}: TLS CA file '{path}' holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
        }

        return roots;
    }

    /// <summary>Whether a peer's TLS certificate chains to one of <paramref name="roots"/> and is issued for <paramref name="hostName"/>.</summary>
    /// <param name="certificate">The certificate the peer presented (null when it sent none).</param>
    /// <param name="presented">The chain the TLS stack built (its extra store holds the intermediates the peer sent), or null.</param>
    /// <param name="roots">Trusted CA certificates.</param>
    /// <param name="hostName">Name the certificate must carry (DNS SAN, IP SAN, or CN when it has no SAN).</param>
    public static bool IsTrusted(X509Certificate? certificate, X509Chain? presented, X509Certificate2Collection roots, string hostName)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentException.ThrowIfNullOrEmpty(hostName);
        if (certificate is null)
        {
            return false;
        }

        var owned = certificate as X509Certificate2 is null;
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (presented is not null)
            {
                chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            }

            return chain.Build(leaf) && leaf.MatchesHostname(hostName, allowWildcards: true, allowCommonName: true);
        }
        finally
        {
            if (owned)
            {
                leaf.Dispose();
            }
        }
    }
}
