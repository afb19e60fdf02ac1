using System.Runtime.CompilerServices;
using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// Scores batches of one stream's events with a <see cref="ModelBundle"/>: featurize → standardise → window →
/// detector, then explains a row by its most deviating standardised features.
/// </summary>
/// <remarks>
/// Stateful (per-entity featurizer context and sequence windows) and not thread-safe: create one per consumer with
/// <see cref="ModelBundle.CreateScorer"/>. When a new model version arrives, <see cref="Continue"/> gives its scorer this
/// scorer's entity context (a scorer created afresh starts cold: no deltas, rolling statistics or replay memory until
/// each entity has sent w events, and for replays its last 1024). Buffers grow to the largest batch seen and are
/// reused, so steady-state scoring allocates only the entity keys of windowed bundles. With a mass balance (<see cref="BundleLayout.HasBalance"/>) a unit's <c>bal</c> is 0
/// until the scorer has seen N + K of its level readings (<see cref="MassBalanceModel"/>; 140 at one per second).
/// <para>With block confirmations (<see cref="BundleLayout.Confirmations"/> k &gt; 0) a block is scored once k more
/// blocks of its chain have arrived. A stream processor hands blocks over with <see cref="Hold"/> and gets the blocks
/// released by them, scored; <see cref="Release"/> scores held blocks early (a time limit) and <see cref="Drop"/>
/// forgets them (their records will be read again). <see cref="Score(IReadOnlyList{BlockEvent}, Span{float})"/> scores
/// a finished sequence instead: every block with the look-ahead the sequence has, as training featurizes it.</para>
/// </remarks>
public sealed class BundleScorer
{
    private readonly StreamFeaturizer _featurizer;
    private readonly SequenceWindow? _window;
    private readonly int _d;
    private readonly int _inputDimension;
    private readonly float[] _raw;
    private readonly int _arrival;
    private readonly BlockConfirmations<HeldBlock>? _confirmations;
    private readonly List<ConfirmedBlock<HeldBlock>> _released = [];
    private readonly MassBalanceTracker? _balance;
    private readonly UnitRelations? _relations;
    private float[] _heldScores = [];
    private float[] _sequenceRows = [];
    private float[] _standardised = [];
    private float[] _inputs = [];
    private int _lastBatch;
    private bool _retired;

    internal BundleScorer(ModelBundle bundle)
        : this(bundle, null)
    {
    }

    // With a previous scorer (same featurization): its featurizer, held blocks and sequence windows, not copies.
    private BundleScorer(ModelBundle bundle, BundleScorer? previous)
    {
        Bundle = bundle;
        _featurizer = previous?._featurizer ?? bundle.Layout.CreateFeaturizer();
        _d = _featurizer.Dimension;
        _inputDimension = bundle.Layout.InputDimension;
        _raw = new float[_d];
        _arrival = _featurizer.ArrivalDimension;
        // The balance's unit windows hold the model they were made with, so they start again.
        // The units' memory of residuals starts again too: it is whole again once each device of a unit has reported.
        if (bundle.Relations is { } relations) _relations = new UnitRelations(relations, bundle.Layout.Featurizer.MaxEntities);
        if (bundle.Balance is { } balance) _balance = new MassBalanceTracker(bundle.Layout, balance); // the bundle checked that its layout takes it
        if (_featurizer.Confirmations > 0) _confirmations = previous?._confirmations ?? _featurizer.CreateConfirmations<HeldBlock>();
        if (bundle.Layout.SequenceLength > 1)
        {
            _window = previous?._window ?? new SequenceWindow(_d, bundle.Layout.SequenceLength, bundle.Layout.Featurizer.MaxEntities);
        }
    }

    /// <summary>The bundle this scorer applies.</summary>
    public ModelBundle Bundle { get; }

    /// <summary>
    /// A scorer of <paramref name="next"/> (a newer version of this scorer's model) that goes on from this scorer's
    /// entity context when both featurize events the same way (<see cref="BundleLayout.SameFeaturization"/>): the
    /// featurizer's per-entity state, the held blocks (scored by <paramref name="next"/> when their confirmations come)
    /// and the sequence windows (their rows standardised by this version) move to it, and this scorer is retired: it holds
    /// nothing and refuses to score. A mass balance's windows and the units' memory of relation residuals start again.
    /// With another featurization the result is a fresh scorer, as <see cref="ModelBundle.CreateScorer"/> makes, and
    /// this one is left as it was.
    /// </summary>
    /// <remarks>Without this, a processor that takes every new version (a federation publishes one per round, seconds
    /// apart) would score with entity context that never warms up: no replay memory, deltas or rolling statistics.</remarks>
    /// <exception cref="InvalidOperationException">This scorer is retired.</exception>
    public BundleScorer Continue(ModelBundle next)
    {
        ArgumentNullException.ThrowIfNull(next);
        ThrowIfRetired();
        if (!next.Layout.SameFeaturization(Bundle.Layout)) return next.CreateScorer();
        var scorer = new BundleScorer(next, this);
        _retired = true;
        return scorer;
    }

    /// <summary>The detector threshold (scores above it are anomalous).</summary>
    public double Threshold => Bundle.Threshold;

    /// <summary>Scores IIoT readings, in order, into <paramref name="scores"/>.</summary>
    /// <exception cref="InvalidOperationException">The bundle scores another stream.</exception>
    /// <exception cref="ArgumentException"><paramref name="scores"/> is not as long as the batch.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Score(IReadOnlyList<DeviceReading> batch, Span<float> scores)
    {
        var n = Begin(batch, scores);
        for (var i = 0; i < n; i++)
        {
            var entity = _featurizer.Featurize(batch[i], _raw);
            _relations?.Apply(_raw, _featurizer.OwnSlots, _featurizer.LastUnit);
            _balance?.Observe(_raw, _featurizer.OwnSlots, _featurizer.LastUnit);
            Add(i, entity);
        }

        Finish(n, scores);
    }

    /// <summary>
    /// Scores blocks, in order, into <paramref name="scores"/>. With confirmations the batch is a finished sequence: each
    /// block gets the look-ahead of the next k blocks of its chain in the batch (fewer at its end); nothing stays held.
    /// </summary>
    /// <exception cref="InvalidOperationException">Blocks handed over with <see cref="Hold"/> are still held.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Score(IReadOnlyList<BlockEvent> batch, Span<float> scores)
    {
        var n = Begin(batch, scores);
        if (_confirmations is null)
        {
            for (var i = 0; i < n; i++) Add(i, _featurizer.Featurize(batch[i], _raw));
        }
        else
        {
            if (_confirmations.Held > 0) throw new InvalidOperationException($"{_confirmations.Held} blocks handed over with Hold are still held; score a sequence with a fresh scorer.");
            if (_sequenceRows.Length < n * _d) _sequenceRows = new float[n * _d];
            _featurizer.FeaturizeSequence(batch, _sequenceRows.AsSpan(0, n * _d));
            for (var i = 0; i < n; i++)
            {
                _sequenceRows.AsSpan(i * _d, _d).CopyTo(_raw);
                Add(i, batch[i].ClusterId);
            }
        }

        Finish(n, scores);
    }

    /// <summary>Blocks held until their confirmations (0 without them).</summary>
    public int Held => _retired ? 0 : _confirmations?.Held ?? 0;

    /// <summary>
    /// Featurizes <paramref name="blocks"/> (in order) on arrival and holds each with its <paramref name="tags"/> entry
    /// (where it came from); appends to <paramref name="scored"/> the blocks that now have k later blocks of their chain,
    /// scored, oldest first per chain. <see cref="Explain"/> then refers to those rows.
    /// </summary>
    /// <exception cref="InvalidOperationException">The bundle has no block confirmations.</exception>
    /// <exception cref="ArgumentException">The tags do not match the blocks.</exception>
    public void Hold(IReadOnlyList<BlockEvent> blocks, IReadOnlyList<object?> tags, List<HeldScore> scored)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(scored);
        ThrowIfRetired();
        var confirmations = _confirmations ?? throw new InvalidOperationException($"This {Bundle.Stream} bundle scores events on arrival; it holds no blocks.");
        if (tags.Count != blocks.Count) throw new ArgumentException($"{blocks.Count} blocks but {tags.Count} tags.", nameof(tags));
        _released.Clear();
        for (var i = 0; i < blocks.Count; i++) confirmations.Add(blocks[i], Arrive(blocks[i], tags[i]), _released);
        ScoreReleased(scored);
    }

    /// <summary>
    /// Scores now, with the look-ahead they have, the held blocks whose tag satisfies <paramref name="due"/> (a time
    /// limit, a model swap), appending them to <paramref name="scored"/>. Nothing happens without confirmations or once
    /// retired (<see cref="Continue"/>).
    /// </summary>
    public void Release(Func<object?, bool> due, List<HeldScore> scored)
    {
        ArgumentNullException.ThrowIfNull(due);
        ArgumentNullException.ThrowIfNull(scored);
        if (_retired || _confirmations is null) return;
        _released.Clear();
        _confirmations.Release(held => due(held.Tag), _released);
        ScoreReleased(scored);
    }

    /// <summary>
    /// Forgets, unscored, every chain holding a block whose tag satisfies <paramref name="which"/> (its records will be
    /// read again, from the oldest held one): the held blocks, the chain's arrival context and its sequence window.
    /// Returns the dropped blocks with their tags, oldest first per chain; none once retired (<see cref="Continue"/>).
    /// </summary>
    public IReadOnlyList<(BlockEvent Block, object? Tag)> Drop(Func<object?, bool> which)
    {
        ArgumentNullException.ThrowIfNull(which);
        if (_retired || _confirmations is null) return [];
        var dropped = new List<(BlockEvent Block, HeldBlock Held)>();
        foreach (var chain in _confirmations.Drop(held => which(held.Tag), dropped))
        {
            _featurizer.Forget(chain);
            _window?.Forget(chain);
        }

        return [.. dropped.Select(d => (d.Block, d.Held.Tag))];
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
        ThrowIfRetired();
        if (scores.Length != batch.Count) throw new ArgumentException($"The batch has {batch.Count} events but the score span has {scores.Length}.", nameof(scores));
        Reserve(batch.Count);
        return batch.Count;
    }

    private void ThrowIfRetired()
    {
        if (_retired) throw new InvalidOperationException($"This scorer's entity context moved to the scorer of a newer {Bundle.Stream} model (Continue); score with that one.");
    }

    private void Reserve(int n)
    {
        if (_standardised.Length < n * _d) _standardised = new float[n * _d];
        if (_inputs.Length < n * _inputDimension) _inputs = new float[n * _inputDimension];
        _lastBatch = 0;
    }

    // A block awaiting its confirmations: its arrival features and the caller's tag.
    private sealed record HeldBlock(float[] Arrival, object? Tag);

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

    private HeldBlock Arrive(BlockEvent block, object? tag)
    {
        var arrival = new float[_arrival];
        _featurizer.Featurize(block, arrival);
        return new HeldBlock(arrival, tag);
    }

    // Row i of the detector input from a released block: its arrival features, then its look-ahead features.
    private void AddConfirmed(int i, ConfirmedBlock<HeldBlock> block)
    {
        block.Payload.Arrival.CopyTo(_raw.AsSpan(0, _arrival));
        block.LookAhead.CopyTo(_raw.AsSpan(_arrival));
        Add(i, block.Block.ClusterId);
    }

    private void ScoreReleased(List<HeldScore> scored)
    {
        var n = _released.Count;
        Reserve(n);
        if (n == 0) return;
        if (_heldScores.Length < n) _heldScores = new float[Math.Max(n, 2 * _heldScores.Length)];
        for (var j = 0; j < n; j++) AddConfirmed(j, _released[j]);
        var scores = _heldScores.AsSpan(0, n);
        Finish(n, scores);
        for (var j = 0; j < n; j++) scored.Add(new HeldScore(_released[j].Block, _released[j].Payload.Tag, scores[j]));
    }

    private void Finish(int n, Span<float> scores)
    {
        Bundle.Detector.Score(_inputs.AsSpan(0, n * _inputDimension), scores);
        _lastBatch = n;
    }
}

/// <summary>A held block scored on release by <see cref="BundleScorer.Hold"/> or <see cref="BundleScorer.Release"/>.</summary>
/// <param name="Block">The block.</param>
/// <param name="Tag">The tag it was handed over with.</param>
/// <param name="Score">Its score (higher is more anomalous).</param>
public readonly record struct HeldScore(BlockEvent Block, object? Tag, float Score);
