using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>
/// Computes the <c>rel</c> feature of IIoT rows in event order with a <see cref="RelationModel"/> and each process
/// unit's memory of its devices' latest residuals, so that a broken relation is attributed to the device that broke it
/// (<see cref="RelationModel.Apply(Span{float}, ReadOnlySpan{sbyte}, Span{float})"/>). The same class runs at training
/// time (<see cref="FeaturizedEvents.WithRelations"/>) and in the scorer (<see cref="BundleScorer"/>), so both compute
/// the same features from the same readings.
/// </summary>
/// <remarks>
/// Per unit <see cref="RelationModel.MemoryLength"/> floats (210 for 7 measurements × 2 slots), bounded like the
/// featurizer (<see cref="FeaturizerOptions.MaxEntities"/> units, least recently used first). A unit's memory starts
/// empty when a scorer starts, takes over a partition or moves to a new model version: until each of the unit's devices
/// has reported once (one reading each), a broken relation is not attributed away from a neighbour. Not thread-safe.
/// </remarks>
internal sealed class UnitRelations
{
    private readonly LruCache<float[]> _units;

    public UnitRelations(RelationModel model, int maxUnits)
    {
        Model = model;
        _units = new LruCache<float[]>(maxUnits);
    }

    public RelationModel Model { get; }

    /// <summary>Writes the <c>rel</c> feature of <paramref name="row"/>, a reading of a device of <paramref name="unit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(Span<float> row, ReadOnlySpan<sbyte> ownSlots, string unit)
    {
        if (!Model.Attributes)
        {
            Model.Apply(row, ownSlots); // the memory is not needed
            return;
        }

        var memory = _units.GetOrAddEntry(unit, Model.MemoryLength, static (_, length) => new float[length], out _).Value;
        Model.Apply(row, ownSlots, memory);
    }
}
