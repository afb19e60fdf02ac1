using Microsoft.Extensions.Logging;
using Pipeline.Platform.Kafka;

namespace Pipeline.Federation;

/// <summary>
/// Runs one coordinator and one participant per configured cluster in this process (what <c>pipeline up</c> uses):
/// keys are created in <see cref="FederationOptions.KeyDirectory"/> for each participant before the coordinator starts,
/// so every participant is registered.
/// </summary>
public sealed class FederationHost : IAsyncDisposable
{
    private readonly List<System.Security.Cryptography.ECDsa> _keys = [];

    private FederationHost(FederationCoordinator coordinator, IReadOnlyList<FederationParticipant> participants, List<System.Security.Cryptography.ECDsa> keys)
    {
        Coordinator = coordinator;
        Participants = participants;
        _keys = keys;
    }

    /// <summary>The coordinator.</summary>
    public FederationCoordinator Coordinator { get; }

    /// <summary>The participants, one per cluster.</summary>
    public IReadOnlyList<FederationParticipant> Participants { get; }

    /// <summary>Builds (does not start) the services for <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">Invalid options or no clusters.</exception>
    public static FederationHost Create(KafkaClientFactory clients, FederationOptions options, ILoggerFactory loggers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        options.Validate();
        if (options.ClusterIds.Count == 0) throw new ArgumentException("Federation:Clusters lists no cluster to run participants for.");
        var directory = new ParticipantKeyDirectory(options.KeyDirectory);
        var keys = new List<System.Security.Cryptography.ECDsa>();
        var participants = new List<FederationParticipant>();
        foreach (var cluster in options.ClusterIds)
        {
            var key = directory.LoadOrCreatePrivateKey(FederationOptions.ParticipantIdFor(cluster));
            keys.Add(key);
            participants.Add(new FederationParticipant(clients, options, cluster, key, loggers.CreateLogger<FederationParticipant>(), time));
        }

        var coordinator = new FederationCoordinator(clients, options, directory, loggers.CreateLogger<FederationCoordinator>(), time);
        return new FederationHost(coordinator, participants, keys);
    }

    /// <summary>Runs a coordinator and the participants until <paramref name="cancellationToken"/> is cancelled (or MaxRounds ends the coordinator).</summary>
    public static async Task RunAsync(KafkaClientFactory clients, FederationOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        await using var host = Create(clients, options, loggers);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }

        await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Starts the participants, then the coordinator.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var participant in Participants) await participant.StartAsync(cancellationToken).ConfigureAwait(false);
        await Coordinator.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the coordinator, then the participants.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Coordinator.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var participant in Participants) await participant.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        Coordinator.Dispose();
        foreach (var participant in Participants) participant.Dispose();
        foreach (var key in _keys) key.Dispose();
    }
}
