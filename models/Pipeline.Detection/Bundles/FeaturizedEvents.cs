namespace Pipeline.Detection;

/// <summary>
/// Raw (unstandardised) feature vectors of a sequence of events, in event order, with the entity each belongs to:
/// the intermediate step between events and detector input that participants keep locally.
/// </summary>
public sealed class FeaturizedEvents
{
    internal FeaturizedEvents(BundleLayout layout, float[] features, string[] entities, sbyte[] ownSlots, string[] units, RelationModel? relations = null, MassBalanceModel? balance = null)
    {
        Layout = layout;
        Features = features;
        Entities = entities;
        OwnSlots = ownSlots;
        Units = units;
        Relations = relations;
        Balance = balance;
    }

    /// <summary>The layout that produced the features.</summary>
    public BundleLayout Layout { get; }

    /// <summary>Row-major features, <see cref="Count"/> × <see cref="BundleLayout.FeatureDimension"/>.</summary>
    public float[] Features { get; }

    /// <summary>Entity key of each event (the sequence-window owner).</summary>
    public IReadOnlyList<string> Entities { get; }

    /// <summary>Number of events.</summary>
    public int Count => Entities.Count;

    /// <summary>The relation model whose residuals fill the <c>rel</c> features, or null (they are 0).</summary>
    public RelationModel? Relations { get; }

    /// <summary>The mass balance model whose residuals fill the <c>bal</c> features, or null (they are 0).</summary>
    public MassBalanceModel? Balance { get; }

    // Per event, the featurizer's own snapshot slot of each measurement (telemetry with relations; empty otherwise).
    internal sbyte[] OwnSlots { get; }

    // Per event, its process unit (telemetry with relation residuals; empty otherwise): the units' memories of
    // residuals and the mass balance's windows are replayed per unit.
    internal string[] Units { get; }

    /// <summary>
    /// A <see cref="RelationModel"/> fitted to these events (federated by <see cref="RelationModel.Merge"/>), or null
    /// when the layout has no <c>rel</c> features (<see cref="BundleLayout.HasRelations"/>).
    /// </summary>
    public RelationModel? FitRelations() =>
        Layout.HasRelations ? RelationModel.Fit(Layout.Measurements.Count, Layout.Featurizer.UnitSlots, Features, OwnSlots, Count, Layout.HasBalance, Layout.RelationStateColumns()) : null;

    /// <summary>
    /// The same events with the <c>rel</c> features computed by <paramref name="relations"/> (null: left at 0), as
    /// <see cref="BundleScorer"/> computes them with a bundle holding that model.
    /// </summary>
    /// <exception cref="ArgumentException">The model's shape does not match the layout.</exception>
    public FeaturizedEvents WithRelations(RelationModel? relations)
    {
        if (ReferenceEquals(relations, Relations)) return this;
        var features = (float[])Features.Clone();
        if (Layout.HasRelations)
        {
            var k = Layout.Measurements.Count;
            var d = Layout.FeatureDimension;
            var model = relations ?? RelationModel.Empty(k, Layout.Featurizer.UnitSlots, Layout.RelationStateColumns());
            CheckShape(model);
            var units = new UnitRelations(model, Layout.Featurizer.MaxEntities);
            for (var i = 0; i < Count; i++) units.Apply(features.AsSpan(i * d, d), OwnSlots.AsSpan(i * k, k), Units[i]);
        }
        else if (relations is not null)
        {
            throw new ArgumentException($"The {Layout.Stream} layout has no relation features.", nameof(relations));
        }

        return new FeaturizedEvents(Layout, features, (string[])Entities, OwnSlots, Units, relations).WithBalance(Balance);
    }

    /// <summary>
    /// A <see cref="MassBalanceModel"/> fitted to these events, whose <c>rel</c> features must already be filled
    /// (<see cref="WithRelations"/>: a level reading's <c>rel</c> guards the balance), or null when the layout has no
    /// <c>bal</c> features (<see cref="BundleLayout.HasBalance"/>). Federated by <see cref="MassBalanceModel.Merge"/>.
    /// </summary>
    public MassBalanceModel? FitBalance()
    {
        if (!Layout.HasBalance) return null;
        var tracker = new MassBalanceTracker(Layout, null); // reads the rows only
        Replay(tracker, Features);
        return MassBalanceModel.Fit(Layout.Featurizer.UnitSlots, tracker.Samples!, Relations, tracker.FlowMeasurement);
    }

    /// <summary>
    /// The same events with the <c>bal</c> features computed by <paramref name="balance"/> (null: left at 0), as
    /// <see cref="BundleScorer"/> computes them, in event order, with a bundle holding that model.
    /// </summary>
    /// <exception cref="ArgumentException">The model's shape does not match the layout.</exception>
    public FeaturizedEvents WithBalance(MassBalanceModel? balance)
    {
        if (ReferenceEquals(balance, Balance)) return this; // also null on both sides: bal is 0 until a model fills it
        if (!Layout.HasBalance)
        {
            throw new ArgumentException($"The {Layout.Stream} layout has no mass balance features.", nameof(balance));
        }

        if (balance is not null && !Layout.Takes(balance))
        {
            throw new ArgumentException($"The mass balance model has {balance.Slots} slots; the layout {Layout.Featurizer.UnitSlots}.", nameof(balance));
        }

        var features = (float[])Features.Clone();
        if (balance is not null)
        {
            Replay(new MassBalanceTracker(Layout, balance), features);
        }
        else
        {
            var d = Layout.FeatureDimension;
            for (var at = d - 1; at < features.Length; at += d) features[at] = 0; // bal is the last feature
        }

        return new FeaturizedEvents(Layout, features, (string[])Entities, OwnSlots, Units, Relations, balance);
    }

    private void Replay(MassBalanceTracker tracker, float[] features)
    {
        var d = Layout.FeatureDimension;
        var k = Layout.Measurements.Count;
        for (var i = 0; i < Count; i++) tracker.Observe(features.AsSpan(i * d, d), OwnSlots.AsSpan(i * k, k), Units[i]);
    }

    private void CheckShape(RelationModel model)
    {
        if (!Layout.Takes(model))
        {
            throw new ArgumentException(
                $"The relation model has {model.Shape}; the layout takes {Layout.RelationShape}.");
        }
    }

    /// <summary>
    /// Detector input rows as <paramref name="bundle"/>'s scorer builds them from these events: its relation and mass
    /// balance models fill <c>rel</c> and <c>bal</c>, its standardizer scales, its layout's windows stack.
    /// </summary>
    public FeatureMatrix ToInputs(ModelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return WithRelations(bundle.Relations).WithBalance(bundle.Balance).ToInputs(bundle.Standardizer);
    }

    /// <summary>A standardizer fitted to these features (federated by <see cref="RunningStandardizer.Merge"/>).</summary>
    public RunningStandardizer FitStandardizer()
    {
        var d = Layout.FeatureDimension;
        var standardizer = new RunningStandardizer(d);
        for (var i = 0; i < Count; i++) standardizer.Update(Features.AsSpan(i * d, d));
        return standardizer;
    }

    /// <summary>
    /// Detector input rows: each event standardised with <paramref name="standardizer"/> and, for a sequence length
    /// w &gt; 1, concatenated with its entity's previous w − 1 vectors (zero-filled at the start), exactly as
    /// <see cref="BundleScorer"/> builds them when it sees the same events in the same order.
    /// </summary>
    public FeatureMatrix ToInputs(RunningStandardizer standardizer)
    {
        ArgumentNullException.ThrowIfNull(standardizer);
        var d = Layout.FeatureDimension;
        if (standardizer.Dimension != d) throw new ArgumentException($"The standardizer has {standardizer.Dimension} features, the layout {d}.", nameof(standardizer));
        if (Count == 0) throw new InvalidOperationException("No events were featurized; there is nothing to train on.");
        var w = Layout.SequenceLength;
        var inputs = new float[Count * d * w];
        var z = new float[d];
        var window = w > 1 ? new SequenceWindow(d, w, Layout.Featurizer.MaxEntities) : null;
        for (var i = 0; i < Count; i++)
        {
            standardizer.Transform(Features.AsSpan(i * d, d), z);
            if (window is null) z.CopyTo(inputs.AsSpan(i * d, d));
            else window.Push(Entities[i], z, inputs.AsSpan(i * d * w, d * w));
        }

        return new FeatureMatrix(inputs, Count, d * w);
    }
}
