using System.Diagnostics;
using System.Diagnostics.Metrics;
using Pipeline.Processing;

namespace Pipeline.Bench.Processing;

/// <summary>Timestamps the scoring processor's progress from its own processing_events counter
/// (a <see cref="MeterListener"/> callback on the loop thread, so no polling thread competes for
/// the core): the first batch and the moment the running total reaches a target.</summary>
internal sealed class ScoredEventsClock : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly long _target;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _total;

    public ScoredEventsClock(long target)
    {
        _target = target;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ProcessingMetrics.MeterName && instrument.Name == "processing_events")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => OnEvents(value));
        _listener.Start();
    }

    /// <summary>Events in the first batch (excluded from the rate: its clock starts when it is counted).</summary>
    public long FirstBatch { get; private set; }

    public long FirstAt { get; private set; }

    public long ReachedAt { get; private set; }

    public Task Reached => _reached.Task;

    /// <summary>Events per second between the first batch and the target.</summary>
    public double Rate => (_target - FirstBatch) / Stopwatch.GetElapsedTime(FirstAt, ReachedAt).TotalSeconds;

    private void OnEvents(long count)
    {
        var now = Stopwatch.GetTimestamp();
        if (_total == 0)
        {
            FirstAt = now;
            FirstBatch = count;
        }
        _total += count;
        if (_total >= _target && ReachedAt == 0)
        {
            ReachedAt = now;
            _reached.TrySetResult();
        }
    }

    public void Dispose() => _listener.Dispose();
}
