using System.Diagnostics;

namespace Pipeline.Ledger;

/// <summary>
/// A peer's bounded worker slots and their busy-time accounting.
/// </summary>
/// <remarks>
/// CPU % = (slot-held time within the last window) ÷ (slots × window) × 100: the share of the peer's
/// worker capacity in use. Held time counts from acquiring a slot to releasing it, so it includes
/// RocksDB reads and scheduling delay, not only instructions retired.
/// Cumulative held time B(t) grows with slope = slots held, which changes only when a slot is
/// acquired or released; checkpoints of B are taken at those moments (at most one per 1/32 of the
/// window) and B(now − window) is interpolated between the two checkpoints around it, so a sample
/// costs O(1) however many requests ran, with an error below 1/32 of the capacity. Thread-safe.
/// </remarks>
internal sealed class WorkerSlots : IDisposable
{
    private const int CheckpointsPerWindow = 32;

    private readonly SemaphoreSlim _semaphore;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, long> _active = [];
    private readonly Queue<(long At, long Busy)> _checkpoints = new();
    private readonly long _windowTicks;
    private readonly long _resolutionTicks;
    private readonly long _createdAt;
    private long _lastCheckpoint;
    private long _completedBusy;
    private long _nextLease;
    private int _waiting;
    private long _completed;

    public WorkerSlots(int capacity, TimeSpan window)
    {
        Capacity = capacity;
        _semaphore = new SemaphoreSlim(capacity, capacity);
        _windowTicks = Math.Max(1, (long)(window.TotalSeconds * Stopwatch.Frequency));
        _resolutionTicks = Math.Max(1, _windowTicks / CheckpointsPerWindow);
        _createdAt = Stopwatch.GetTimestamp();
        _checkpoints.Enqueue((_createdAt, 0));
        _lastCheckpoint = _createdAt;
    }

    public int Capacity { get; }

    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _active.Count;
            }
        }
    }

    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting;
            }
        }
    }

    /// <summary>
    /// Running and queued requests read together: a request moves from queued to running, and
    /// leaves, under the same lock, so one request is never counted twice or not at all (reading
    /// <see cref="InFlight"/> and <see cref="Waiting"/> one after the other can do either while a
    /// worker hands its slot to its next request).
    /// </summary>
    public (int InFlight, int Waiting) Occupancy()
    {
        lock (_gate)
        {
            return (_active.Count, _waiting);
        }
    }

    public long Completed => Interlocked.Read(ref _completed);

    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _waiting++;
        }

        try
        {
            await _semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                _waiting--;
            }

            throw;
        }

        lock (_gate)
        {
            _waiting--;
            var now = Stopwatch.GetTimestamp();
            Checkpoint(now);
            var id = ++_nextLease;
            _active[id] = now;
            return new Lease(this, id);
        }
    }

    /// <summary>Busy share of the slots over the window, 0..100.</summary>
    public double BusyPercent()
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            Checkpoint(now);
            var windowStart = now - _windowTicks;
            while (_checkpoints.Count >= 2 && _checkpoints.ElementAt(1).At <= windowStart)
            {
                _checkpoints.Dequeue();
            }

            var first = _checkpoints.Peek();
            double busyAtWindowStart;
            if (first.At >= windowStart || _checkpoints.Count < 2)
            {
                // Only the creation checkpoint can start after the window: nothing was busy before it.
                busyAtWindowStart = first.At >= windowStart ? 0 : first.Busy;
            }
            else
            {
                var second = _checkpoints.ElementAt(1);
                busyAtWindowStart = first.Busy + ((second.Busy - first.Busy) * (double)(windowStart - first.At) / (second.At - first.At));
            }

            var busy = BusyAt(now) - busyAtWindowStart;
            return Math.Clamp(100.0 * busy / ((double)_windowTicks * Capacity), 0, 100);
        }
    }

    public void Dispose() => _semaphore.Dispose();

    private long BusyAt(long now)
    {
        var busy = _completedBusy;
        foreach (var start in _active.Values)
        {
            busy += now - start;
        }

        return busy;
    }

    private void Checkpoint(long now)
    {
        if (now - _lastCheckpoint >= _resolutionTicks)
        {
            _checkpoints.Enqueue((now, BusyAt(now)));
            _lastCheckpoint = now;
        }
    }

    private void Release(long id)
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            Checkpoint(now);
            if (!_active.Remove(id, out var start))
            {
                return;
            }

            _completedBusy += now - start;
        }

        Interlocked.Increment(ref _completed);
        _semaphore.Release();
    }

    /// <summary>A held slot; dispose to release it.</summary>
    internal readonly struct Lease(WorkerSlots owner, long id) : IDisposable
    {
        public void Dispose() => owner.Release(id);
    }
}
