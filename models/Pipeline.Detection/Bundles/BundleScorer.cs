using System.Runtime.CompilerServices;
using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// Scores batches of one stream's events with a <see cref="ModelBundle"/>: featurize → standardise → window →
/// detector, then explains a row by its most deviating standardised features.
/// </summary>
/// <remarks>
/// Stateful (per-entity featurizer context and sequence windows) and not thread-safe: create one per consumer with
/// <see cref="ModelBundle.CreateScorer"/>. When a new model version arrives, create a new scorer; its entity context
/// starts cold. Buffers grow to the largest batch seen and are reused, so steady-state scoring allocates only the
/// entity keys of windowed bundles.
/// </remarks>
public sealed class BundleScorer
{
    private readonly StreamFeaturizer _featurizer;
    private readonly SequenceWindow? _window;
    private readonly int _d;
    private readonly int _inputDimension;
    private readonly float[] _raw;
    private float[] _standardised = [];
    private float[] _inputs = [];
    private int _lastBatch;

    internal BundleScorer(ModelBundle bundle)
    {
        Bundle = bundle;
        _featurizer = bundle.Layout.CreateFeaturizer();
        _d = _featurizer.Dimension;
        _inputDimension = bundle.Layout.InputDimension;
        _raw = new float[_d];
        if (bundle.Layout.SequenceLength > 1)
        {
            _window = new SequenceWindow(_d, bundle.Layout.SequenceLength, bundle.Layout.Featurizer.MaxEntities);
        }
    }

    /// <summary>The bundle this scorer applies.</summary>
    public ModelBundle Bundle { get; }

    /// <summary>The detector threshold (scores above it are anomalous).</summary>
    public double Threshold => Bundle.Threshold;

    /// <summary>Scores IIoT readings, in order, into <paramref name="scores"/>.</summary>
    /// <exception cref="InvalidOperationException">The bundle scores another stream.</exception>
    /// <exception cref="ArgumentException"><paramref name="scores"/> is not as long as the batch.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Score(IReadOnlyList<DeviceReading> batch, Span<float> scores)
    {
        var n = Begin(batch, scores);
        var relations = Bundle.Relations;
        for (var i = 0; i < n; i++)
        {
            var entity = _featurizer.Featurize(batch[i], _raw);
            relations?.Apply(_raw, _featurizer.OwnSlots);
            Add(i, entity);
        }

        Finish(n, scores);
    }

    /// <summary>Scores blocks, in order, into <paramref name="scores"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Score(IReadOnlyList<BlockEvent> batch, Span<float> scores)
    {
        var n = Begin(batch, scores);
        for (var i = 0; i < n; i++) Add(i, _featurizer.Featurize(batch[i], _raw));
        Finish(n, scores);
    }

    /// <summary>Scores transactions, in order, into <paramref name="scores"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Score(IReadOnlyList<TransactionEvent> batch, Span<float> scores)
    {
        var n = Begin(batch, scores);
        for (var i = 0; i < n; i++) Add(i, _featurizer.Featurize(batch[i], _raw));
        Finish(n, scores);
    }

    /// <summary>
    /// The <paramref name="top"/> features of row <paramref name="index"/> of the last scored batch with the largest
    /// absolute standardised value (z-score), largest first: the features that deviate most from the federated normal.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such row in the last batch, or <paramref name="top"/> &lt; 1.</exception>
    public IReadOnlyList<NamedValue> Explain(int index, int top = 3)
    {
        if ((uint)index >= (uint)_lastBatch) throw new ArgumentOutOfRangeException(nameof(index), index, $"The last batch had {_lastBatch} rows.");
        if (top < 1) throw new ArgumentOutOfRangeException(nameof(top), top, "At least one feature must be requested.");
        var z = _standardised.AsSpan(index * _d, _d);
        var count = Math.Min(top, _d);
        Span<int> best = stackalloc int[count];
        var filled = 0;
        for (var j = 0; j < _d; j++)
        {
            var magnitude = Math.Abs(z[j]);
            var at = filled;
            while (at > 0 && Math.Abs(z[best[at - 1]]) < magnitude) at--;
            if (at >= count) continue;
            var last = Math.Min(filled, count - 1);
            for (var k = last; k > at; k--) best[k] = best[k - 1];
            best[at] = j;
            if (filled < count) filled++;
        }

        var names = _featurizer.Names;
        var result = new NamedValue[filled];
        for (var k = 0; k < filled; k++) result[k] = new NamedValue(names[best[k]], Math.Round(z[best[k]], 4));
        return result;
    }

    // Per-event work is a direct call per stream (no delegate, no shared generic code), so each step is a small method
    // the JIT can optimise on its own.
    private int Begin<T>(IReadOnlyList<T> batch, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (scores.Length != batch.Count) throw new ArgumentException($"The batch has {batch.Count} events but the score span has {scores.Length}.", nameof(scores));
        var n = batch.Count;
        if (_standardised.Length < n * _d) _standardised = new float[n * _d];
        if (_inputs.Length < n * _inputDimension) _inputs = new float[n * _inputDimension];
        _lastBatch = 0;
        return n;
    }

    // Standardises the featurized row i and places it (alone, or in the entity's sequence window) in the detector input.
    // Per event and without loops: inlined into the (optimised, loop-holding) Score methods instead of waiting for
    // tiered compilation on its own (see DeviceReadingFeaturizer.Device).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Add(int i, string entity)
    {
        var z = _standardised.AsSpan(i * _d, _d);
        Bundle.Standardizer.Transform(_raw, z);
        if (_window is null) z.CopyTo(_inputs.AsSpan(i * _d, _d));
        else _window.Push(entity, z, _inputs.AsSpan(i * _inputDimension, _inputDimension));
    }

    private void Finish(int n, Span<float> scores)
    {
        Bundle.Detector.Score(_inputs.AsSpan(0, n * _inputDimension), scores);
        _lastBatch = n;
    }
}
