using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;

namespace Pipeline.PeerIndex;

/// <summary>
/// The embedded stack's answer to <c>ops.scale-requests</c>: starts another peer replica through an
/// <see cref="IPeerReplicaLauncher"/>, at most <see cref="PeerScalerOptions.MaxReplicas"/> in all and
/// not more often than <see cref="PeerScalerOptions.Cooldown"/>. Also usable in-process as the
/// selector's <see cref="IScaleRequestSink"/>.
/// </summary>
/// <remarks>Thread-safe: requests are handled one at a time. A launcher failure propagates to the caller.</remarks>
public sealed class PeerScaler : IScaleRequestSink, IDisposable
{
    private readonly IPeerReplicaLauncher _launcher;
    private readonly PeerScalerOptions _options;
    private readonly ILogger<PeerScaler> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _started = [];
    private long _lastStartAt = long.MinValue;

    /// <summary>Creates a scaler.</summary>
    public PeerScaler(IPeerReplicaLauncher launcher, IOptions<PeerScalerOptions> options, ILogger<PeerScaler> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _launcher = launcher;
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        if (_options.MaxReplicas < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxReplicas, $"{PeerScalerOptions.SectionName}:MaxReplicas must not be negative.");
        }
    }

    /// <summary>Peer ids of the replicas started so far.</summary>
    public IReadOnlyList<string> StartedReplicas
    {
        get
        {
            lock (_started)
            {
                return [.. _started];
            }
        }
    }

    /// <summary>Handles one request; returns the new peer id, or null when the request was ignored.</summary>
    public async Task<string?> HandleAsync(ScaleRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int count;
            lock (_started)
            {
                count = _started.Count;
            }

            if (count >= _options.MaxReplicas)
            {
                PeerIndexLog.ScaleIgnored(_logger, request.RequestId, request.PeerGroup, $"already started {count} replicas (MaxReplicas)");
                return null;
            }

            if (_lastStartAt != long.MinValue && _time.GetElapsedTime(_lastStartAt) < _options.Cooldown)
            {
                PeerIndexLog.ScaleIgnored(_logger, request.RequestId, request.PeerGroup, "within the cool-down of the previous start");
                return null;
            }

            var peerId = await _launcher.StartReplicaAsync(request.PeerGroup, cancellationToken).ConfigureAwait(false);
            _lastStartAt = _time.GetTimestamp();
            lock (_started)
            {
                _started.Add(peerId);
                count = _started.Count;
            }

            PeerIndexLog.ReplicaStarted(_logger, request.RequestId, request.PeerGroup, peerId, count, _options.MaxReplicas);
            return peerId;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    Task IScaleRequestSink.PublishAsync(ScaleRequest request, CancellationToken cancellationToken) =>
        HandleAsync(request, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
