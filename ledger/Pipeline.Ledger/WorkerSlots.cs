using System.Diagnostics;

namespace Pipeline.Ledger;

/// <summary>
/// A peer's bounded worker slots and their busy-time accounting.
/// </summary>
/// <remarks>
/// CPU % = (time the slots were held within the last window) ÷ (slots × window) × 100: the share of
/// the peer's worker capacity in use. Held time counts from acquiring a slot to releasing it, so it
/// includes RocksDB reads and scheduling delay, not only instructions retired. Thread-safe.
/// </remarks>
internal sealed class WorkerSlots : IDisposable
{
    private readonly SemaphoreSlim _semaphore;
    private readonly Lock _gate = new();
    private readonly Queue<(long Start, long End)> _finished = new();
    private readonly Dictionary<long, long> _active = [];
    private readonly long _windowTicks;
    private long _nextLease;
    private int _waiting;
    private long _completed;

    public WorkerSlots(int capacity, TimeSpan window)
    {
        Capacity = capacity;
        _semaphore = new SemaphoreSlim(capacity, capacity);
        _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
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

    public int Waiting => Volatile.Read(ref _waiting);

    public long Completed => Interlocked.Read(ref _completed);

    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        lock (_gate)
        {
            var id = ++_nextLease;
            _active[id] = Stopwatch.GetTimestamp();
            return new Lease(this, id);
        }
    }

    /// <summary>Busy share of the slots over the window, 0..100.</summary>
    public double BusyPercent()
    {
        var now = Stopwatch.GetTimestamp();
        var windowStart = now - _windowTicks;
        long busy = 0;
        lock (_gate)
        {
            while (_finished.Count > 0 && _finished.Peek().End <= windowStart)
            {
                _finished.Dequeue();
            }

            foreach (var (start, end) in _finished)
            {
                busy += end - Math.Max(start, windowStart);
            }

            foreach (var start in _active.Values)
            {
                busy += now - Math.Max(start, windowStart);
            }
        }

        return Math.Clamp(100.0 * busy / ((double)_windowTicks * Capacity), 0, 100);
    }

    public void Dispose() => _semaphore.Dispose();

    private void Release(long id)
    {
        lock (_gate)
        {
            if (!_active.Remove(id, out var start))
            {
                return;
            }

            _finished.Enqueue((start, Stopwatch.GetTimestamp()));
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
