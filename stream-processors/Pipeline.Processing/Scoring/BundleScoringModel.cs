using System.Runtime.CompilerServices;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Processing.Scoring;

/// <summary>A global model version whose bytes are a <see cref="ModelBundle"/> (featurizer layout,
/// federated standardizer, detector) for one input topic: chain.blocks, chain.transactions or
/// iiot.telemetry.</summary>
/// <remarks>Immutable and thread-safe; each consumer gets its own stateful scorer. Top features are
/// the bundle's explanation: the features with the largest standardised deviation.</remarks>
public sealed class BundleScoringModel : IScoringModel
{
    private readonly ModelBundle _bundle;
    private readonly ScoredEventKind _kind;

    public BundleScoringModel(ModelBundle bundle, long version, double threshold)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        _bundle = bundle;
        _kind = KindOf(bundle.Stream);
        Key = bundle.Stream;
        Version = version;
        Threshold = threshold;
        Detector = DetectorName(bundle.Detector.Kind);
    }

    public string Key { get; }

    public long Version { get; }

    public string Detector { get; }

    public double Threshold { get; }

    public bool Scores(ScoredEventKind kind) => kind == _kind;

    public IEventScorer CreateScorer(IEventScorer? previous = null) =>
        new Scorer(previous is Scorer { Inner: var inner } ? inner.Continue(_bundle) : _bundle.CreateScorer(), _kind);

    /// <summary>The event kind of a catalogue input topic.</summary>
    /// <exception cref="ArgumentException">Not a scored input topic.</exception>
    public static ScoredEventKind KindOf(string catalogueTopic) => catalogueTopic switch
    {
        Topics.ChainBlocks => ScoredEventKind.Block,
        Topics.ChainTransactions => ScoredEventKind.Transaction,
        Topics.IiotTelemetry => ScoredEventKind.Reading,
        _ => throw new ArgumentException($"'{catalogueTopic}' is not a scored topic (chain.blocks, chain.transactions, iiot.telemetry)", nameof(catalogueTopic)),
    };

    /// <summary>snake_case detector name for alerts.</summary>
    public static string DetectorName(DetectorKind kind) => kind switch
    {
        DetectorKind.Ned => "ned",
        DetectorKind.IsolationForest => "isolation_forest",
        DetectorKind.PcaMahalanobis => "pca_mahalanobis",
        DetectorKind.KMeans => "kmeans",
        DetectorKind.Cblof => "cblof",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private sealed class Scorer(BundleScorer scorer, ScoredEventKind kind) : IEventScorer
    {
        private readonly List<BlockEvent> _blocks = [];
        private readonly List<TransactionEvent> _transactions = [];
        private readonly List<DeviceReading> _readings = [];

        public BundleScorer Inner => scorer;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Score(IReadOnlyList<object> events, Span<float> scores)
        {
            switch (kind)
            {
                case ScoredEventKind.Block:
                    Fill(_blocks, events);
                    scorer.Score(_blocks, scores);
                    break;
                case ScoredEventKind.Transaction:
                    Fill(_transactions, events);
                    scorer.Score(_transactions, scores);
                    break;
                default:
                    Fill(_readings, events);
                    scorer.Score(_readings, scores);
                    break;
            }
        }

        public IReadOnlyList<NamedValue> Explain(int index, int count) => count < 1 ? [] : scorer.Explain(index, count);

        public bool Holds => scorer.Bundle.Layout.Confirmations > 0;

        public int Held => scorer.Held;

        public void Hold(IReadOnlyList<object> events, IReadOnlyList<HeldSource> sources, List<HeldScore> scored)
        {
            Fill(_blocks, events);
            scorer.Hold(_blocks, sources, scored);
        }

        public void Release(Func<HeldSource, bool> due, List<HeldScore> scored) => scorer.Release(tag => due((HeldSource)tag!), scored);

        public IReadOnlyList<(BlockEvent Event, HeldSource Source)> Drop(Func<HeldSource, bool> which) =>
            [.. scorer.Drop(tag => which((HeldSource)tag!)).Select(d => (d.Block, (HeldSource)d.Tag!))];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Fill<T>(List<T> target, IReadOnlyList<object> events)
        {
            target.Clear();
            for (var i = 0; i < events.Count; i++)
            {
                target.Add((T)events[i]);
            }
        }
    }
}
