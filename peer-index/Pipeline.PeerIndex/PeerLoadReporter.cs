using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pipeline.PeerIndex;

/// <summary>
/// Publishes one peer's load to the index every <see cref="PeerIndexOptions.ReportInterval"/>;
/// each report re-arms the heartbeat TTL, so a peer whose reporter stops drops out of the index.
/// </summary>
/// <remarks>
/// A failed report (Redis down) is logged and retried at the next tick; the loop ends only on
/// cancellation. On a clean stop the peer is deregistered at once.
/// </remarks>
public sealed class PeerLoadReporter : BackgroundService
{
    private readonly RedisPeerRegistry _registry;
    private readonly IPeerLoadSource _source;
    private readonly PeerRegistration _peer;
    private readonly PeerIndexOptions _options;
    private readonly ILogger<PeerLoadReporter> _logger;
    private long _reports;

    /// <summary>Creates a reporter for one peer.</summary>
    public PeerLoadReporter(
        RedisPeerRegistry registry,
        IPeerLoadSource source,
        PeerRegistration peer,
        IOptions<PeerIndexOptions> options,
        ILogger<PeerLoadReporter> logger)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        peer.Validate();
        _registry = registry;
        _source = source;
        _peer = peer;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Reports published successfully so far.</summary>
    public long Reports => Interlocked.Read(ref _reports);

    /// <summary>Publishes one report now.</summary>
    public async Task ReportOnceAsync(CancellationToken cancellationToken)
    {
        var index = await _registry.ReportAsync(_peer, _source.ReadLoad(), cancellationToken).ConfigureAwait(false);
        if (Interlocked.Increment(ref _reports) == 1)
        {
            PeerIndexLog.Registered(_logger, _peer.PeerId, _options.PeerGroup, index);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ReportInterval);
        try
        {
            do
            {
                try
                {
                    await ReportOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    PeerIndexLog.ReportFailed(_logger, _peer.PeerId, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _registry.DeregisterAsync(_peer.PeerId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // The TTL removes the peer anyway.
            PeerIndexLog.ReportFailed(_logger, _peer.PeerId, ex);
        }
    }
}
