using Grpc.Core;
using Grpc.Core.Interceptors;
using Pipeline.PeerIndex;

namespace Pipeline.Processing.Whitelist;

/// <summary>The load of an external Fabric peer as this client sees it: the unary calls (Evaluate,
/// Endorse, ...) this process has in flight to the peer over <see cref="Slots"/>, as CPU percent
/// (capped at 100); RAM is not known from outside and reported as 0.</summary>
/// <remarks>A gRPC client interceptor on the peer's channel counts the calls. External peers do not
/// report their own load, so this is an estimate of this client's share only: with it the
/// D_THROTTLE strategy keeps each peer below its admission line of <i>this</i> client's
/// calls, not of the peer's total work. Thread-safe.</remarks>
public sealed class ClientSidePeerLoad : Interceptor, IPeerLoadSource
{
    private int _inFlight;

    /// <param name="slots">Concurrent calls that count as 100 % load (at least 1).</param>
    public ClientSidePeerLoad(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        Slots = slots;
    }

    /// <summary>Concurrent calls that count as 100 %.</summary>
    public int Slots { get; }

    /// <summary>Unary calls to the peer that have started and not completed.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <inheritdoc />
    public PeerLoad ReadLoad()
    {
        var inFlight = InFlight;
        return new PeerLoad(Math.Min(100, 100.0 * inFlight / Slots), 0, inFlight);
    }

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Interlocked.Increment(ref _inFlight);
        AsyncUnaryCall<TResponse> call;
        try
        {
            call = continuation(request, context);
        }
        catch
        {
            Interlocked.Decrement(ref _inFlight);
            throw;
        }

        return new AsyncUnaryCall<TResponse>(CountUntilDone(call.ResponseAsync), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private async Task<TResponse> CountUntilDone<TResponse>(Task<TResponse> response)
    {
        try
        {
            return await response.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
