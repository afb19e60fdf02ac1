using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>The featurizer of one bundle stream plus the entity key its sequence windows are kept under.</summary>
internal sealed class StreamFeaturizer
{
    private readonly DeviceReadingFeaturizer? _device;
    private readonly BlockFeaturizer? _block;
    private readonly TransactionFeaturizer? _transaction;
    private readonly int _maxChains;
    private readonly List<ConfirmedBlock<int>> _sequenceReleased = [];
    private BlockConfirmations<int>? _sequence;

    public StreamFeaturizer(BundleLayout layout)
    {
        Stream = layout.Stream;
        _maxChains = layout.Featurizer.MaxEntities;
        switch (layout.Stream)
        {
            case Topics.IiotTelemetry:
                _device = new DeviceReadingFeaturizer(layout.Measurements, layout.Featurizer);
                Names = _device.FeatureNames;
                break;
            case Topics.ChainBlocks:
                _block = new BlockFeaturizer(layout.Featurizer);
                Confirmations = layout.Confirmations;
                Names = Confirmations > 0 ? [.. _block.FeatureNames, .. BlockConfirmations<int>.FeatureNames] : _block.FeatureNames;
                break;
            default:
                _transaction = new TransactionFeaturizer(layout.Featurizer);
                Names = _transaction.FeatureNames;
                break;
        }
    }

    public string Stream { get; }

    public IReadOnlyList<string> Names { get; }

    public int Dimension => Names.Count;

    /// <summary>Block confirmations k of the layout (0: blocks are featurized completely on arrival).</summary>
    public int Confirmations { get; }

    /// <summary>Features known on arrival: all of them, except the look-ahead features of held blocks (the last ones).</summary>
    public int ArrivalDimension => Confirmations > 0 ? Dimension - BlockConfirmations<int>.FeatureCount : Dimension;

    /// <summary>The own snapshot slots of the last featurized reading (empty for the chain streams).</summary>
    public ReadOnlySpan<sbyte> OwnSlots => _device is null ? [] : _device.LastOwnSlots;

    /// <summary>The process unit of the last featurized reading (empty for the chain streams).</summary>
    public string LastUnit => _device?.LastUnit ?? "";

    public string Featurize(DeviceReading reading, Span<float> features)
    {
        if (_device is null) throw WrongStream(Topics.IiotTelemetry);
        _device.Featurize(reading, features);
        return _device.LastKey; // cluster/factory/device, the featurizer's cached key
    }

    public string Featurize(BlockEvent block, Span<float> features)
    {
        if (_block is null) throw WrongStream(Topics.ChainBlocks);
        _block.Featurize(block, features[..ArrivalDimension]);
        return block.ClusterId;
    }

    /// <summary>A holder of blocks awaiting the layout's confirmations (k &gt; 0).</summary>
    public BlockConfirmations<T> CreateConfirmations<T>() => new(Confirmations, _maxChains);

    /// <summary>
    /// Featurizes a finished sequence of blocks with confirmations into consecutive rows of <paramref name="features"/>:
    /// each block's arrival features, then its look-ahead from the next k blocks of its chain in the sequence (fewer at
    /// its end). The rule training applies and a scorer's <c>Score</c>; each chain's last k blocks stay as the context of
    /// the next sequence given to this featurizer.
    /// </summary>
    public void FeaturizeSequence(IReadOnlyList<BlockEvent> blocks, Span<float> features)
    {
        if (_block is null) throw WrongStream(Topics.ChainBlocks);
        _sequence ??= CreateConfirmations<int>();
        var d = Dimension;
        var lookAhead = d - ArrivalDimension;
        _sequenceReleased.Clear();
        for (var i = 0; i < blocks.Count; i++)
        {
            Featurize(blocks[i], features.Slice(i * d, d));
            _sequence.Add(blocks[i], i, _sequenceReleased);
        }

        _sequence.Release(static _ => true, _sequenceReleased);
        foreach (var block in _sequenceReleased) block.LookAhead.CopyTo(features.Slice((block.Payload * d) + ArrivalDimension, lookAhead));
    }

    /// <summary>Forgets the arrival context of a chain and its miners (its held blocks were dropped).</summary>
    public void Forget(string clusterId) => _block?.Forget(clusterId);

    public string Featurize(TransactionEvent transaction, Span<float> features)
    {
        if (_transaction is null) throw WrongStream(Topics.ChainTransactions);
        _transaction.Featurize(transaction, features);
        return string.Concat(transaction.ClusterId, "/", transaction.FromAccount);
    }

    private InvalidOperationException WrongStream(string given) =>
        new($"This bundle scores {Stream}; it cannot featurize {given} events.");
}
