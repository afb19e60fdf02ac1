using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// How events of one stream become detector input: the stream (<see cref="Topics.ChainBlocks"/>,
/// <see cref="Topics.ChainTransactions"/> or <see cref="Topics.IiotTelemetry"/>), the ordered measurement names (IIoT
/// only), the featurizer's temporal-context settings and the NED sequence length (1 = one event per input row).
/// </summary>
/// <remarks>
/// Every participant of a federation and every scoring processor must use the same layout, so it travels inside the
/// <see cref="ModelBundle"/>. Sequence windows are kept per entity: the device (cluster/factory/device) for telemetry,
/// the chain (cluster) for blocks, the sending account (cluster/from) for transactions.
/// </remarks>
public sealed record BundleLayout
{
    /// <summary>The input topic whose events the bundle scores.</summary>
    public required string Stream { get; init; }

    /// <summary>Ordered measurement names for <see cref="Topics.IiotTelemetry"/>; empty for the chain streams.</summary>
    public IReadOnlyList<string> Measurements { get; init; } = [];

    /// <summary>Temporal-context settings of the featurizer.</summary>
    public FeaturizerOptions Featurizer { get; init; } = new();

    /// <summary>Events per detector input row (w); 1 scores each event on its own.</summary>
    public int SequenceLength { get; init; } = 1;

    /// <summary>
    /// Confirmations k for <see cref="Topics.ChainBlocks"/> (0 elsewhere): 0 scores each block when it arrives; k &gt; 0
    /// holds it until k more blocks of its chain have arrived and adds the six look-ahead features of
    /// <see cref="BlockConfirmations{T}"/> (docs/detection.md, "Blocks after k confirmations").
    /// </summary>
    public int Confirmations { get; init; }

    /// <summary>
    /// The confirmations the pipeline's block bundles use unless configured (federation, <c>detection-quality</c>):
    /// ROC AUC rose the most from 3 to 6 in the probe of docs/detection.md, and six confirmations are what a
    /// proof-of-work chain's users wait for anyway.
    /// </summary>
    public const int DefaultBlockConfirmations = 6;

    /// <summary>The measurement names the water-treatment simulator emits, in a fixed order.</summary>
    public static IReadOnlyList<string> WaterTreatmentMeasurements { get; } =
        ["level_m", "flow_m3h", "open", "command", "running", "current_a", "pressure_bar"];

    /// <summary>The water-treatment simulator's on/off measurements that split its relation fits into state regimes
    /// (<see cref="FeaturizerOptions.RelationStates"/>): the inlet valve and the pump.</summary>
    public const string WaterTreatmentStates = "open,running";

    /// <summary>Features per event.</summary>
    public int FeatureDimension => FeatureNames.Count;

    /// <summary>Length of a detector input row: <see cref="FeatureDimension"/> × <see cref="SequenceLength"/>.</summary>
    public int InputDimension => FeatureDimension * SequenceLength;

    /// <summary>Feature names in vector order.</summary>
    public IReadOnlyList<string> FeatureNames => _names ??= CreateFeaturizer().Names;

    private IReadOnlyList<string>? _names;

    /// <summary>The copy that <c>with</c> makes: every setting, but not the cached feature names, which the changed
    /// settings may no longer give.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    private BundleLayout(BundleLayout original)
    {
        Stream = original.Stream;
        Measurements = original.Measurements;
        Featurizer = original.Featurizer;
        SequenceLength = original.SequenceLength;
        Confirmations = original.Confirmations;
    }

    /// <summary>A layout to fill with an object initializer.</summary>
    public BundleLayout()
    {
    }

    /// <summary>
    /// Whether the rows carry <c>rel</c> features, filled by the bundle's <see cref="RelationModel"/>: telemetry with a
    /// unit snapshot (<see cref="FeaturizerOptions.UnitSlots"/> &gt; 0) and <see cref="FeaturizerOptions.RelationResiduals"/>.
    /// </summary>
    public bool HasRelations => Stream == Topics.IiotTelemetry && Featurizer.UnitSlots > 0 && Featurizer.RelationResiduals;

    /// <summary>
    /// Whether the rows also carry <c>bal</c>, filled from the bundle's <see cref="MassBalanceModel"/>: a layout with
    /// relations whose featurizer names the balance measurements (<see cref="FeaturizerOptions.MassBalance"/>).
    /// </summary>
    public bool HasBalance => HasRelations && Featurizer.MassBalance;

    /// <summary>
    /// Whether <paramref name="other"/> turns events into the same features: the same stream, measurements (in order),
    /// featurizer settings, sequence length and confirmations. Then a scorer of one can go on from a scorer of the other's
    /// entity context (<see cref="BundleScorer.Continue"/>).
    /// </summary>
    public bool SameFeaturization(BundleLayout other) =>
        other is not null
        && Stream == other.Stream
        && Measurements.SequenceEqual(other.Measurements, StringComparer.Ordinal)
        && Featurizer == other.Featurizer
        && SequenceLength == other.SequenceLength
        && Confirmations == other.Confirmations;

    /// <summary>Whether <paramref name="balance"/> fills this layout's <c>bal</c> features: the layout has them and the
    /// model has its snapshot slots.</summary>
    public bool Takes(MassBalanceModel balance) => HasBalance && balance.Slots == Featurizer.UnitSlots;

    /// <summary>Whether <paramref name="relations"/> fills this layout's <c>rel</c> features: the layout has them and the
    /// model has its measurements, snapshot slots and state columns (bundles, featurized events and the federation's
    /// update checks).</summary>
    public bool Takes(RelationModel relations) =>
        HasRelations && relations.Measurements == Measurements.Count && relations.Slots == Featurizer.UnitSlots
        && relations.StateColumns.SequenceEqual(RelationStateColumns());

    /// <summary>The relation model shape this layout takes, for messages (see <see cref="RelationModel.Shape"/>).</summary>
    public string RelationShape => RelationModel.Describe(Measurements.Count, Featurizer.UnitSlots, RelationStateColumns());

    /// <summary>The snapshot columns of <see cref="FeaturizerOptions.RelationStates"/> (measurement · slots + slot, every
    /// slot of each named measurement), ascending; empty without relations.</summary>
    internal int[] RelationStateColumns()
    {
        if (!HasRelations) return [];
        var slots = Featurizer.UnitSlots;
        return [.. Featurizer.RelationStateNames.SelectMany(name => Enumerable.Range(0, slots).Select(slot => (IndexOf(name) * slots) + slot)).Order()];

        int IndexOf(string name)
        {
            for (var m = 0; m < Measurements.Count; m++)
            {
                if (Measurements[m] == name) return m;
            }

            throw new ArgumentException($"Relation state '{name}' is not one of the measurements ({string.Join(", ", Measurements)}).", nameof(FeaturizerOptions.RelationStates));
        }
    }

    /// <summary>Checks the layout and throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate()
    {
        if (Stream is not (Topics.ChainBlocks or Topics.ChainTransactions or Topics.IiotTelemetry))
        {
            throw new ArgumentException(
                $"Stream '{Stream}' cannot be scored by a bundle; expected {Topics.ChainBlocks}, {Topics.ChainTransactions} or {Topics.IiotTelemetry}.",
                nameof(Stream));
        }

        ArgumentNullException.ThrowIfNull(Featurizer);
        ArgumentNullException.ThrowIfNull(Measurements);
        if (Stream == Topics.IiotTelemetry && Measurements.Count == 0)
        {
            throw new ArgumentException("An iiot.telemetry bundle needs at least one measurement name.", nameof(Measurements));
        }

        if (Stream != Topics.IiotTelemetry && Measurements.Count != 0)
        {
            throw new ArgumentException($"Measurement names only apply to {Topics.IiotTelemetry}, not to {Stream}.", nameof(Measurements));
        }

        if (Confirmations is < 0 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(Confirmations), Confirmations, "Confirmations must be in [0, 64].");
        }

        if (Confirmations > 0 && Stream != Topics.ChainBlocks)
        {
            throw new ArgumentException($"Confirmations only apply to {Topics.ChainBlocks}, not to {Stream}.", nameof(Confirmations));
        }

        if (SequenceLength is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(SequenceLength), SequenceLength, "The sequence length must be in [1, 256].");
        }

        Featurizer.Validate();
        var states = Featurizer.RelationStateNames;
        if (states.Count > 0)
        {
            if (!HasRelations) throw new ArgumentException("RelationStates needs the relation residuals (iiot.telemetry, UnitSlots > 0, RelationResiduals).", nameof(FeaturizerOptions.RelationStates));
            if (states.Distinct(StringComparer.Ordinal).Count() != states.Count) throw new ArgumentException($"RelationStates names a measurement twice ('{Featurizer.RelationStates}').", nameof(FeaturizerOptions.RelationStates));
            if (states.Count * Featurizer.UnitSlots > RelationModel.MaxStateColumns)
            {
                throw new ArgumentException($"RelationStates × UnitSlots = {states.Count} × {Featurizer.UnitSlots} state columns; at most {RelationModel.MaxStateColumns}.", nameof(FeaturizerOptions.RelationStates));
            }

            _ = RelationStateColumns(); // each name is a measurement
        }
    }

    internal StreamFeaturizer CreateFeaturizer()
    {
        Validate();
        return new StreamFeaturizer(this);
    }
}
