using System.Security.Cryptography;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Federation;

namespace Pipeline.Bench.Federation;

/// <summary>
/// The coordinator's round without Kafka, for measuring: participants train with <see cref="ParticipantTrainer"/> and
/// sign; their updates are Avro-encoded as on the wire, validated by <see cref="RoundCollector"/> and closed by
/// <see cref="RoundAggregator"/>, exactly the calls <see cref="FederationCoordinator"/> makes.
/// </summary>
internal sealed class InProcessFederation : IDisposable
{
    private readonly FederationOptions _options;
    private Dictionary<string, FeaturizedEvents> _local;
    private readonly Dictionary<string, ECDsa> _keys;
    private readonly NonceLedger _nonces = new();

    public InProcessFederation(FederationOptions options, IReadOnlyDictionary<string, List<DeviceReading>> local)
    {
        _options = options;
        _local = Featurize(options, local);
        _keys = _local.Keys.ToDictionary(id => id, _ => ECDsa.Create(ECCurve.NamedCurves.nistP256));
    }

    public ModelBundle? Global { get; private set; }

    /// <summary>Replaces every participant's local window (the same participants, e.g. their windows moved on).</summary>
    public void Slide(IReadOnlyDictionary<string, List<DeviceReading>> local)
    {
        if (!local.Keys.Order(StringComparer.Ordinal).SequenceEqual(_local.Keys.Order(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            throw new ArgumentException("Sliding keeps the participants.", nameof(local));
        }

        _local = Featurize(_options, local);
    }

    private static Dictionary<string, FeaturizedEvents> Featurize(FederationOptions options, IReadOnlyDictionary<string, List<DeviceReading>> local)
    {
        var layout = options.Layout();
        return local.ToDictionary(p => p.Key, p => BundleTrainer.Featurize(layout, p.Value));
    }

    public long Version { get; private set; }

    /// <summary>
    /// The relation model every participant featurizes with in the bootstrap round (null: each fits its own, as the
    /// coordinator's protocol does today); see <see cref="ParticipantTrainer"/>'s measurement hook.
    /// </summary>
    public RelationModel? BootstrapRelations { get; init; }

    public ECDsa? Key(string participantId) => _keys.GetValueOrDefault(participantId);

    /// <summary>The announcement of the next round.</summary>
    public RoundAnnouncement Announce() => new()
    {
        ModelName = _options.ModelName,
        Round = Version + 1,
        BaseVersion = Version,
        DetectorKind = DetectorKinds.NameOf(_options.Kind),
        Stream = _options.Stream,
        SelectedParticipants = [.. _local.Keys.Order(StringComparer.Ordinal)],
        MinParticipants = _options.MinParticipants,
        Deadline = DateTimeOffset.UtcNow.AddHours(1),
        LocalEpochs = _options.LocalEpochs,
        BatchSize = _options.BatchSize,
        LearningRate = _options.LearningRate,
        AnnouncedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Every participant's encoded update message for <paramref name="announcement"/>.</summary>
    public List<byte[]> Train(RoundAnnouncement announcement) =>
        [.. _local.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
            AvroSingleObject.Encode(ParticipantTrainer.Train(announcement, Global, p.Value, _options, p.Key, p.Key, _keys[p.Key], DateTimeOffset.UtcNow, BootstrapRelations, CancellationToken.None).Update))];

    /// <summary>Validates and aggregates <paramref name="messages"/> (the coordinator's work for one round).</summary>
    public (RoundResult Result, ModelBundle? Bundle) Close(RoundAnnouncement announcement, IReadOnlyList<byte[]> messages, IAggregationStrategy strategy, NonceLedger? nonces = null)
    {
        var layout = _options.Layout();
        var collector = new RoundCollector(announcement, Global, layout, _options.NedLayerSizes(layout.InputDimension), Key, nonces ?? _nonces, _options.MaxUpdateNorm);
        foreach (var message in messages) collector.Offer(AvroSingleObject.Decode<ModelUpdate>(message), message.Length);
        return RoundAggregator.Close(collector, strategy, _options.MinParticipants, skipShortOfQuorum: false, Version + 1, DateTimeOffset.UtcNow, _options.Seed);
    }

    /// <summary>Makes <paramref name="bundle"/> the global model the next round starts from.</summary>
    public void Advance(ModelBundle bundle)
    {
        Global = bundle;
        Version++;
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values) key.Dispose();
    }
}
