using System.Security.Cryptography;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// A PCA federation over per-cluster telemetry windows, played through the coordinator's pure round functions (no
/// broker): round announcements, the bootstrap round's candidate as the coordinator would publish it, and a collector
/// for the calibration round that follows it. Each participant signs with its own throw-away key.
/// </summary>
internal sealed class CalibrationRound : IDisposable
{
    public CalibrationRound(IReadOnlyDictionary<string, List<DeviceReading>> windows, FederationOptions options)
    {
        Windows = windows;
        Options = options;
        Keys = windows.Keys.ToDictionary(FederationOptions.ParticipantIdFor, _ => ECDsa.Create(ECCurve.NamedCurves.nistP256));
    }

    /// <summary>Each cluster's local window.</summary>
    public IReadOnlyDictionary<string, List<DeviceReading>> Windows { get; }

    public FederationOptions Options { get; }

    /// <summary>Signing key per participant id.</summary>
    public Dictionary<string, ECDsa> Keys { get; }

    public RoundAnnouncement Announcement(long round, long baseVersion, int epochs) => new()
    {
        ModelName = Options.ModelName,
        Round = round,
        BaseVersion = baseVersion,
        DetectorKind = "pca",
        Stream = Topics.IiotTelemetry,
        SelectedParticipants = [.. Keys.Keys.Order(StringComparer.Ordinal)],
        MinParticipants = 1,
        Deadline = DateTimeOffset.UnixEpoch.AddHours(1),
        LocalEpochs = epochs,
        BatchSize = 32,
        LearningRate = 0.03,
        AnnouncedAt = DateTimeOffset.UnixEpoch,
    };

    /// <summary>One bootstrap round over every window, closed with FedAvg: the uncalibrated candidate and its bundle.</summary>
    public (GlobalModel Candidate, ModelBundle Bundle) Candidate()
    {
        var announcement = Announcement(round: 1, baseVersion: 0, epochs: 4);
        var collector = new RoundCollector(announcement, null, Options.Layout(), null, id => Keys.GetValueOrDefault(id), new NonceLedger(), 0);
        foreach (var (cluster, readings) in Windows)
        {
            var id = FederationOptions.ParticipantIdFor(cluster);
            var (update, _) = ParticipantTrainer.Train(announcement, null, BundleTrainer.Featurize(Options.Layout(), readings), Options, id, cluster, Keys[id], DateTimeOffset.UnixEpoch, CancellationToken.None);
            Assert.Null(collector.Offer(update, 100));
        }

        var (result, bundle) = RoundAggregator.Close(collector, new FedAvgStrategy(), 1, false, 1, DateTimeOffset.UnixEpoch);
        return (RoundAggregator.AsCandidate(result.Model!), bundle!);
    }

    /// <summary>Collects the calibration reports of <paramref name="candidate"/> (round 2, no local epochs).</summary>
    public RoundCollector Collector(GlobalModel candidate) =>
        new(Announcement(round: 2, baseVersion: candidate.Version, epochs: 0), ModelBundle.Deserialize(candidate.Model), Options.Layout(), null, id => Keys.GetValueOrDefault(id), new NonceLedger(), 0);

    public void Dispose()
    {
        foreach (var key in Keys.Values) key.Dispose();
    }
}
