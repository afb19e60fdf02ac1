using Pipeline.Contracts;

namespace Pipeline.PeerIndex;

/// <summary>
/// Receives scale-up requests raised when D_THROTTLE finds no capacity. The stack publishes them
/// to <c>ops.scale-requests</c>; the embedded stack may also hand them straight to a
/// <see cref="PeerScaler"/>.
/// </summary>
/// <remarks>Called off the lookup path and at most once per <see cref="PeerIndexOptions.ScaleRequestMinInterval"/> per selector; exceptions are logged, not rethrown.</remarks>
public interface IScaleRequestSink
{
    /// <summary>Delivers one scale-up request.</summary>
    Task PublishAsync(ScaleRequest request, CancellationToken cancellationToken);
}
