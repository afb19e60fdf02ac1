using System.Security.Cryptography;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// The coordinator's round without Kafka: every participant trains with <see cref="ParticipantTrainer"/> (real signed
/// <see cref="ModelUpdate"/>s, Avro-encoded and decoded as on the wire), an optional attacker rewrites its update,
/// <see cref="RoundCollector"/> validates and <see cref="RoundAggregator"/> closes — the same calls the coordinator
/// makes, minus the topics.
/// </summary>
internal sealed class LocalRounds : IDisposable
{
    private readonly FederationOptions _options;
    private readonly Dictionary<string, FeaturizedEvents> _local;
    private readonly Dictionary<string, ECDsa> _keys;
    private readonly NonceLedger _nonces = new();

    public LocalRounds(FederationOptions options, IReadOnlyDictionary<string, List<DeviceReading>> train)
    {
        _options = options;
        var layout = options.Layout();
        _local = train.ToDictionary(p => FederationOptions.ParticipantIdFor(p.Key), p => BundleTrainer.Featurize(layout, p.Value));
        _keys = _local.Keys.ToDictionary(id => id, _ => ECDsa.Create(ECCurve.NamedCurves.nistP256));
    }

    /// <summary>What the participant <see cref="AttackerId"/> does to its updates.</summary>
    public Attack Attack { get; init; }

    /// <summary>The Byzantine participant (null = everyone honest).</summary>
    public string? AttackerId { get; init; }

    public ModelBundle? Global { get; private set; }

    public long Version { get; private set; }

    /// <summary>Runs one round with <paramref name="strategy"/> and returns its result (the new global when published).</summary>
    public RoundResult Round(IAggregationStrategy strategy)
    {
        var announcement = new RoundAnnouncement
        {
            ModelName = _options.ModelName,
            Round = Version + 1,
            BaseVersion = Version,
            DetectorKind = DetectorKinds.NameOf(_options.Kind),
            Stream = _options.Stream,
            SelectedParticipants = [.. _local.Keys.Order(StringComparer.Ordinal)],
            MinParticipants = _options.MinParticipants,
            Deadline = DateTimeOffset.UtcNow.AddMinutes(1),
            LocalEpochs = _options.LocalEpochs,
            BatchSize = _options.BatchSize,
            LearningRate = _options.LearningRate,
            AnnouncedAt = DateTimeOffset.UtcNow,
        };
        var layout = _options.Layout();
        var collector = new RoundCollector(announcement, Global, layout, _options.NedLayerSizes(layout.InputDimension), id => _keys.GetValueOrDefault(id), _nonces, _options.MaxUpdateNorm);
        foreach (var (id, events) in _local.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var (update, _) = ParticipantTrainer.Train(announcement, Global, events, _options, id, id[3..], _keys[id], DateTimeOffset.UtcNow, CancellationToken.None);
            if (id == AttackerId) update = UpdatePoisoner.Apply(update, Global, _keys[id], Attack);
            var bytes = AvroSingleObject.Encode(update);
            collector.Offer(AvroSingleObject.Decode<ModelUpdate>(bytes), bytes.Length);
        }

        var (result, bundle) = RoundAggregator.Close(collector, strategy, _options.MinParticipants, skipShortOfQuorum: false, Version + 1, DateTimeOffset.UtcNow, _options.Seed);
        if (result.Status == RoundStatus.Published)
        {
            Global = bundle;
            Version++;
        }

        return result;
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values) key.Dispose();
    }
}
