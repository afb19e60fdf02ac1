using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation;

/// <summary>
/// The participant's bounded window of its own cluster's most recent events (raw data never leaves it): a ring of
/// <see cref="DeviceReading"/>, <see cref="BlockEvent"/> or <see cref="TransactionEvent"/> depending on the stream.
/// </summary>
/// <remarks>Thread-safe: the telemetry loop adds while the round loop snapshots.</remarks>
public sealed class LocalWindow
{
    private readonly object[] _events;
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

    /// <summary>Adds an event of the window's stream type (the oldest is dropped when full).</summary>
    /// <exception cref="ArgumentException">An event of another type.</exception>
    public void Add(object @event)
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
            _next = (_next + 1) % _events.Length;
            if (_count < _events.Length) _count++;
            Added++;
        }
    }

    /// <summary>Featurizes a snapshot of the window, oldest event first, with <paramref name="layout"/>.</summary>
    public FeaturizedEvents Featurize(BundleLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Stream != Stream) throw new ArgumentException($"The layout scores {layout.Stream}; the window holds {Stream}.", nameof(layout));
        object[] snapshot;
        lock (_gate)
        {
            snapshot = new object[_count];
            for (var i = 0; i < _count; i++) snapshot[i] = _events[(_next - _count + i + _events.Length) % _events.Length];
        }

        return Stream switch
        {
            Topics.IiotTelemetry => BundleTrainer.Featurize(layout, snapshot.Cast<DeviceReading>().ToList()),
            Topics.ChainBlocks => BundleTrainer.Featurize(layout, snapshot.Cast<BlockEvent>().ToList()),
            _ => BundleTrainer.Featurize(layout, snapshot.Cast<TransactionEvent>().ToList()),
        };
    }
}
