using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation;

/// <summary>
/// The participant's bounded window of its own cluster's most recent events (raw data never leaves it): a ring of
/// <see cref="DeviceReading"/>, <see cref="BlockEvent"/> or <see cref="TransactionEvent"/> depending on the stream, each
/// with its ground-truth label when the message carried one (the simulators' <c>label</c> header; null otherwise).
/// </summary>
/// <remarks>Thread-safe: the telemetry loop adds while the round loop snapshots.</remarks>
public sealed class LocalWindow
{
    private readonly object[] _events;
    private readonly string?[] _labels;
    private readonly Lock _gate = new();
    private int _next;
    private int _count;

    /// <summary>Creates a window of <paramref name="capacity"/> events of <paramref name="stream"/>.</summary>
    public LocalWindow(string stream, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (stream is not (Topics.IiotTelemetry or Topics.ChainBlocks or Topics.ChainTransactions))
        {
            throw new ArgumentException($"A participant cannot train on '{stream}'.", nameof(stream));
        }

        Stream = stream;
        _events = new object[capacity];
        _labels = new string?[capacity];
    }

    /// <summary>The stream whose events the window holds.</summary>
    public string Stream { get; }

    /// <summary>Events held.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _count;
        }
    }

    /// <summary>Total events ever added.</summary>
    public long Added { get; private set; }

    /// <summary>
    /// Adds an event of the window's stream type (the oldest is dropped when full) with its ground-truth
    /// <paramref name="label"/> (<c>normal</c> or an attack type; null when unknown).
    /// </summary>
    /// <exception cref="ArgumentException">An event of another type.</exception>
    public void Add(object @event, string? label = null)
    {
        var fits = Stream switch
        {
            Topics.IiotTelemetry => @event is DeviceReading,
            Topics.ChainBlocks => @event is BlockEvent,
            _ => @event is TransactionEvent,
        };
        if (!fits) throw new ArgumentException($"A {Stream} window cannot hold a {@event?.GetType().Name ?? "null"}.", nameof(@event));
        lock (_gate)
        {
            _events[_next] = @event;
            _labels[_next] = label;
            _next = (_next + 1) % _events.Length;
            if (_count < _events.Length) _count++;
            Added++;
        }
    }

    /// <summary>Featurizes a snapshot of the window, oldest event first, with <paramref name="layout"/>.</summary>
    public FeaturizedEvents Featurize(BundleLayout layout) => FeaturizeWithLabels(layout).Events;

    /// <summary>
    /// Featurizes a snapshot of the window, oldest event first, with <paramref name="layout"/>, and returns the labels of
    /// the same events in the same order (null = unlabelled).
    /// </summary>
    public (FeaturizedEvents Events, IReadOnlyList<string?> Labels) FeaturizeWithLabels(BundleLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Stream != Stream) throw new ArgumentException($"The layout scores {layout.Stream}; the window holds {Stream}.", nameof(layout));
        object[] snapshot;
        string?[] labels;
        lock (_gate)
        {
            snapshot = new object[_count];
            labels = new string?[_count];
            for (var i = 0; i < _count; i++)
            {
                var slot = (_next - _count + i + _events.Length) % _events.Length;
                snapshot[i] = _events[slot];
                labels[i] = _labels[slot];
            }
        }

        var events = Stream switch
        {
            Topics.IiotTelemetry => BundleTrainer.Featurize(layout, snapshot.Cast<DeviceReading>().ToList()),
            Topics.ChainBlocks => BundleTrainer.Featurize(layout, snapshot.Cast<BlockEvent>().ToList()),
            _ => BundleTrainer.Featurize(layout, snapshot.Cast<TransactionEvent>().ToList()),
        };
        return (events, labels);
    }
}
