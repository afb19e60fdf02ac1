using Grpc.Core;
using Grpc.Net.Client;
using GatewayClient = Pipeline.Ledger.Fabric.Protos.Gateway.Gateway.GatewayClient;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>
/// A connection to one Fabric Gateway (a peer's gateway service) for one identity:
/// <c>Gateway → Network(channel) → Contract(chaincode)</c>, as Fabric's official clients are shaped.
/// </summary>
/// <remarks>
/// The caller owns the gRPC channel (one per peer endpoint), so it decides which peer each call
/// reaches, and disposes it; <see cref="Dispose"/> here releases nothing the caller passed in.
/// Thread-safe.
/// </remarks>
public sealed class Gateway : IDisposable
{
    private Gateway(Identity identity, Signer signer, GatewayClient client, GatewayTimeouts timeouts)
    {
        Identity = identity;
        Signer = signer;
        Client = client;
        Timeouts = timeouts;
    }

    /// <summary>The client identity every proposal is created by.</summary>
    public Identity Identity { get; }

    /// <summary>Per-stage deadlines.</summary>
    public GatewayTimeouts Timeouts { get; }

    internal Signer Signer { get; }

    internal GatewayClient Client { get; }

    /// <summary>Connects over <paramref name="channel"/> (e.g. <c>GrpcChannel.ForAddress("http://127.0.0.1:7051")</c>).</summary>
    public static Gateway Connect(Identity identity, Signer signer, GrpcChannel channel, GatewayTimeouts? timeouts = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return Connect(identity, signer, channel.CreateCallInvoker(), timeouts);
    }

    /// <summary>Connects over any call invoker (interceptors, test doubles).</summary>
    public static Gateway Connect(Identity identity, Signer signer, CallInvoker callInvoker, GatewayTimeouts? timeouts = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(callInvoker);
        return new Gateway(identity, signer, new GatewayClient(callInvoker), timeouts ?? new GatewayTimeouts());
    }

    /// <summary>The channel (ledger) named <paramref name="channelName"/>.</summary>
    public Network GetNetwork(string channelName)
    {
        ArgumentException.ThrowIfNullOrEmpty(channelName);
        return new Network(this, channelName);
    }

    /// <summary>Nothing to release: the channel and the signer belong to the caller.</summary>
    public void Dispose()
    {
    }
}
