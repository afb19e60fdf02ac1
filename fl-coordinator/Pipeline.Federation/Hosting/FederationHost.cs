using Microsoft.Extensions.Logging;
using Pipeline.Platform.Kafka;

namespace Pipeline.Federation;

/// <summary>
/// Runs, for every federated model (<see cref="FederationOptions.ModelOptions"/>: one per scored stream by default), a
/// coordinator and one participant per configured cluster in this process (what <c>pipeline fl run</c> and
/// <c>pipeline up</c> use). A cluster has one key pair in <see cref="FederationOptions.KeyDirectory"/>, created before
/// the coordinators start so every participant is registered, and its participants of all models sign with it.
/// </summary>
public sealed class FederationHost : IAsyncDisposable
{
    private readonly List<System.Security.Cryptography.ECDsa> _keys = [];

    private FederationHost(IReadOnlyList<FederationCoordinator> coordinators, IReadOnlyList<FederationParticipant> participants, List<System.Security.Cryptography.ECDsa> keys)
    {
        Coordinators = coordinators;
        Participants = participants;
        _keys = keys;
    }

    /// <summary>The first model's coordinator (the only one when a single model is federated).</summary>
    public FederationCoordinator Coordinator => Coordinators[0];

    /// <summary>One coordinator per model.</summary>
    public IReadOnlyList<FederationCoordinator> Coordinators { get; }

    /// <summary>The participants: one per cluster and model.</summary>
    public IReadOnlyList<FederationParticipant> Participants { get; }

    /// <summary>Builds (does not start) the services for <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">Invalid options or no clusters.</exception>
    public static FederationHost Create(KafkaClientFactory clients, FederationOptions options, ILoggerFactory loggers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var models = options.ModelOptions();
        if (options.ClusterIds.Count == 0) throw new ArgumentException("Federation:Clusters lists no cluster to run participants for.");
        var directory = new ParticipantKeyDirectory(options.KeyDirectory);
        var keys = new List<System.Security.Cryptography.ECDsa>();
        var participants = new List<FederationParticipant>();
        foreach (var cluster in options.ClusterIds)
        {
            var key = directory.LoadOrCreatePrivateKey(FederationOptions.ParticipantIdFor(cluster));
            keys.Add(key);
            foreach (var model in models) participants.Add(new FederationParticipant(clients, model, cluster, key, loggers.CreateLogger<FederationParticipant>(), time));
        }

        var coordinators = models.Select(model => new FederationCoordinator(clients, model, directory, loggers.CreateLogger<FederationCoordinator>(), time)).ToList();
        return new FederationHost(coordinators, participants, keys);
    }

    /// <summary>Runs the coordinators and the participants until <paramref name="cancellationToken"/> is cancelled (or MaxRounds ends the coordinator).</summary>
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

    /// <summary>Starts the participants, then the coordinators.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var participant in Participants) await participant.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var coordinator in Coordinators) await coordinator.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the coordinators, then the participants.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var coordinator in Coordinators) await coordinator.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var participant in Participants) await participant.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        foreach (var coordinator in Coordinators) coordinator.Dispose();
        foreach (var participant in Participants) participant.Dispose();
        foreach (var key in _keys) key.Dispose();
    }
}
