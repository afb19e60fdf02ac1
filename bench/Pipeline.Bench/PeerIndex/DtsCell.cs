using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.PeerIndex;
using StackExchange.Redis;

namespace Pipeline.Bench.PeerIndex;

/// <summary>Figures of one cell: a strategy at a number of users, homogeneous or with a busy peer.</summary>
internal sealed record DtsCellResult(
    string Strategy,
    int Users,
    int BusySlots,
    int PeersAtStart,
    int PeersAtEnd,
    long Queries,
    double Seconds,
    long LaunchesDone,
    double LaunchP50Seconds,
    double LookupP50Micros,
    double LookupP99Micros,
    double PeakLoadPercent,
    double PeakOccupancyPercent,
    double MeanOccupancyPercent,
    long OverloadSamples,
    long NoCapacityAnswers,
    double BusyPeerShare)
{
    public double QueriesPerSecond => Queries / Seconds;

    public double SecondsPer50k => 50_000 / QueriesPerSecond;
}

/// <summary>
/// One cell of the DTS experiment: <c>users</c> endpoints each launch once and need every one of
/// the launch's executables verified on the ledger. A whitelist processor with a few dispatchers
/// pulls the verifications, reserves peers through the index in batches (one Lua call per batch),
/// evaluates <c>VerifyExecutions</c> on the chosen ledger peer, and releases with the peer's fresh
/// load. Refused lookups (D_THROTTLE's -1) wait for a completion and are retried.
/// </summary>
internal sealed class DtsCell
{
    private const int LookupBatch = 64;

    private readonly DtsBenchOptions _options;
    private readonly IConnectionMultiplexer _redis;
    private readonly LedgerNetwork _ledger;
    private readonly IReadOnlyList<string> _hashes;
    private readonly ClientIdentity _user = ClientIdentity.User("endpoint-agent", "Org1MSP");
    private readonly ConcurrentQueue<Verification> _retry = new();
    private readonly ConcurrentQueue<double> _lookupMicros = new();
    private int _chains;
    private TaskCompletionSource _pulse = NewPulse();
    private readonly ConcurrentDictionary<string, LedgerLoadSource> _sources;
    private readonly ConcurrentDictionary<string, long> _perPeer = new();
    private long _completed;
    private long _noCapacity;

    public DtsCell(DtsBenchOptions options, IConnectionMultiplexer redis, LedgerNetwork ledger, IReadOnlyList<string> hashes)
    {
        _options = options;
        _redis = redis;
        _ledger = ledger;
        _hashes = hashes;
        _sources = new(ledger.Peers.Take(options.Peers).ToDictionary(p => p.Id, p => new LedgerLoadSource(p)));
    }

    /// <param name="strategy">The selection strategy.</param>
    /// <param name="users">Concurrent users, one launch each.</param>
    /// <param name="busySlots">Slots of peer0 that background work holds (0 = equal peers).</param>
    /// <param name="maxReplicas">When above 0, D_THROTTLE's scale requests go to a <see cref="PeerScaler"/> that adds up to this many ledger replicas.</param>
    /// <param name="cancellationToken">Cancels the cell.</param>
    public async Task<DtsCellResult> RunAsync(PeerSelectionStrategy strategy, int users, int busySlots, int maxReplicas, CancellationToken cancellationToken)
    {
        var indexOptions = new PeerIndexOptions
        {
            KeyPrefix = $"bench:{Guid.NewGuid():N}:",
            Strategy = strategy,
            ReportInterval = TimeSpan.FromMilliseconds(100),
            HeartbeatTtl = TimeSpan.FromSeconds(3),
            ScaleRequestMinInterval = maxReplicas > 0 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(30),
        };
        var wrapped = Options.Create(indexOptions);
        var registry = new RedisPeerRegistry(_redis, wrapped);
        var reporters = new ConcurrentQueue<PeerLoadReporter>();
        async Task JoinAsync(LedgerPeer peer, int ordinal)
        {
            var source = _sources.GetOrAdd(peer.Id, _ => new LedgerLoadSource(peer));
            var reporter = new PeerLoadReporter(
                registry, source, new PeerRegistration(peer.Id, "Org1MSP", $"embedded://{peer.Id}", ordinal), wrapped, NullLogger<PeerLoadReporter>.Instance);
            await reporter.ReportOnceAsync(cancellationToken).ConfigureAwait(false);
            await reporter.StartAsync(cancellationToken).ConfigureAwait(false);
            reporters.Enqueue(reporter);
        }

        var initial = _ledger.Peers.Take(_options.Peers).ToList();
        for (var i = 0; i < initial.Count; i++)
        {
            await JoinAsync(initial[i], i).ConfigureAwait(false);
        }

        using var scaler = maxReplicas > 0
            ? new PeerScaler(
                new LedgerReplicaLauncher(_ledger, peer => JoinAsync(peer, _sources.Count)),
                Options.Create(new PeerScalerOptions { MaxReplicas = maxReplicas, Cooldown = TimeSpan.FromSeconds(1) }),
                NullLogger<PeerScaler>.Instance)
            : null;
        var selector = new RedisPeerSelector(_redis, wrapped, NullLogger<RedisPeerSelector>.Instance, scaler);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var busyPeer = initial[0].Id;
        var background = busySlots > 0
            ? Enumerable.Range(0, busySlots).Select(_ => KeepBusyAsync(_sources[busyPeer].Peer, stop.Token)).ToList()
            : [];
        if (busySlots > 0)
        {
            // Busy means busy in its own report too: wait until the peer's CPU window shows the background work.
            var busyPercent = (100.0 * busySlots / _options.WorkerSlots) - 5;
            await WaitUntilAsync(() => _sources[busyPeer].Peer.GetLoad() is var l && l.InFlight >= busySlots && l.CpuPercent >= busyPercent, cancellationToken).ConfigureAwait(false);
        }

        var totalQueries = Math.Min((long)users * _options.ExecutablesPerLaunch, _options.MaxQueries);
        var queue = Channel.CreateUnbounded<Verification>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
        var launches = new List<Launch>();
        var remaining = totalQueries;
        for (var u = 0; u < users && remaining > 0; u++)
        {
            var size = (int)Math.Min(_options.ExecutablesPerLaunch, remaining);
            remaining -= size;
            launches.Add(new Launch(size));
        }

        var sampler = new LoadSampler(() => _sources.Values.Select(s => s.Peer).ToList(), _options.WorkerSlots);
        var samplerTask = sampler.RunAsync(stop.Token);
        var clock = Stopwatch.StartNew();

        // Users launch together: each puts its executables on the processor's queue.
        foreach (var launch in launches)
        {
            launch.Clock = clock;
            launch.Started = clock.Elapsed;
            for (var e = 0; e < launch.Size; e++)
            {
                queue.Writer.TryWrite(new Verification(launch, _hashes[e % _hashes.Count]));
            }
        }

        queue.Writer.Complete();
        var dispatchers = Enumerable.Range(0, _options.Dispatchers)
            .Select(_ => DispatchAsync(selector, queue.Reader, stop.Token))
            .ToArray();
        var allDone = Task.WhenAll(launches.Select(l => l.Done.Task));
        if (_options.CellDuration > TimeSpan.Zero)
        {
            await Task.WhenAny(allDone, Task.Delay(_options.CellDuration, cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            await allDone.ConfigureAwait(false);
        }

        var queries = Interlocked.Read(ref _completed);
        var seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(dispatchers.Select(IgnoreCancellation)).ConfigureAwait(false);
        await Task.WhenAll(background.Select(IgnoreCancellation)).ConfigureAwait(false);
        await IgnoreCancellation(samplerTask).ConfigureAwait(false);
        foreach (var reporter in reporters)
        {
            await reporter.StopAsync(CancellationToken.None).ConfigureAwait(false);
            reporter.Dispose();
        }

        var peersAtEnd = _sources.Count;
        foreach (var added in scaler?.StartedReplicas ?? [])
        {
            // Later cells compare strategies on the original peers again.
            _sources.TryRemove(added, out _);
        }

        var done = launches.Where(l => l.Done.Task.IsCompletedSuccessfully).ToList();
        var launchSeconds = done.Select(l => (l.Finished - l.Started).TotalSeconds).ToList();
        var lookups = _lookupMicros.ToList();
        var routed = _perPeer.Values.Sum();
        var result = new DtsCellResult(
            strategy.ToString(),
            users,
            busySlots,
            initial.Count,
            peersAtEnd,
            queries,
            seconds,
            done.Count,
            Percentiles.Of(launchSeconds, 50),
            Percentiles.Of(lookups, 50),
            Percentiles.Of(lookups, 99),
            sampler.PeakLoad,
            sampler.PeakOccupancy,
            sampler.MeanOccupancy,
            sampler.OverloadSamples,
            Interlocked.Read(ref _noCapacity),
            routed == 0 ? 0 : (double)_perPeer.GetValueOrDefault(busyPeer) / routed);
        await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task DispatchAsync(RedisPeerSelector selector, ChannelReader<Verification> queue, CancellationToken stop)
    {
        // Chains this dispatcher started and that still run; only this loop adds to it, so its
        // in-flight bound cannot be overshot by other dispatchers.
        var owned = new StrongBox<int>(0);
        var chains = new List<Task>();
        var pending = new List<Verification>(LookupBatch);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var pulse = Volatile.Read(ref _pulse);
                var free = _options.MaxInFlightPerDispatcher - Volatile.Read(ref owned.Value);
                if (free > 0)
                {
                    while (pending.Count < Math.Min(free, LookupBatch) && TryTake(queue, out var next))
                    {
                        pending.Add(next);
                    }
                }

                if (pending.Count == 0 || free <= 0)
                {
                    if (pending.Count == 0 && Volatile.Read(ref _chains) == 0 && _retry.IsEmpty && queue.Completion.IsCompleted)
                    {
                        break;
                    }

                    // Everything is either running or waiting in a chain: wake on the next completion.
                    await IgnoreTimeout(pulse.Task.WaitAsync(TimeSpan.FromMilliseconds(5), stop)).ConfigureAwait(false);
                    continue;
                }

                var count = Math.Min(pending.Count, free);
                var selections = await TimedSelectAsync(selector, count, stop).ConfigureAwait(false);
                var kept = new List<Verification>(pending.Count);
                var refused = 0;
                for (var i = 0; i < pending.Count; i++)
                {
                    if (i >= count)
                    {
                        kept.Add(pending[i]);
                    }
                    else if (selections[i].PeerId is { } peerId)
                    {
                        Interlocked.Increment(ref _chains);
                        Interlocked.Increment(ref owned.Value);
                        chains.Add(ChainAsync(selector, queue, pending[i], peerId, owned, stop));
                    }
                    else
                    {
                        refused++;
                        kept.Add(pending[i]);
                    }
                }

                pending = kept;
                if (refused > 0)
                {
                    Interlocked.Add(ref _noCapacity, refused);
                    // No capacity: running chains refill the slots they free themselves; back off before asking again.
                    await Task.Delay(_options.RetryBackoff, stop).ConfigureAwait(false);
                }

                if (chains.Count > 1024)
                {
                    chains.RemoveAll(t => t.IsCompleted);
                }
            }
        }
        finally
        {
            foreach (var item in pending)
            {
                _retry.Enqueue(item);
            }

            await Task.WhenAll(chains.Select(IgnoreCancellation)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One reserved slot at work: verify, release with the peer's fresh load, and at once reserve a
    /// peer for the next queued verification, so a freed slot refills within two Redis round trips.
    /// </summary>
    private async Task ChainAsync(RedisPeerSelector selector, ChannelReader<Verification> queue, Verification item, string peerId, StrongBox<int> owned, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                var verified = false;
                try
                {
                    await _sources[peerId].Peer.EvaluateAsync(WhitelistFunctions.VerifyExecutions, [item.Hash], _user, stop).ConfigureAwait(false);
                    verified = true;
                    Interlocked.Increment(ref _completed);
                    _perPeer.AddOrUpdate(peerId, 1, (_, n) => n + 1);
                    item.Launch.CompleteOne();
                }
                finally
                {
                    if (!verified)
                    {
                        await selector.ReleaseAsync(new PeerSelection(SelectionOutcome.Reserved, peerId), _sources[peerId].ReadLoad(), CancellationToken.None).ConfigureAwait(false);
                    }
                }

                var release = new PeerRelease(peerId, 1, _sources[peerId].ReadLoad());
                if (stop.IsCancellationRequested || !TryTake(queue, out var next))
                {
                    await selector.ReleaseBatchAsync([release], CancellationToken.None).ConfigureAwait(false);
                    return;
                }

                // The cool-down update and the next reservation in one Lua call.
                var started = Stopwatch.GetTimestamp();
                var selection = (await selector.ReleaseThenSelectAsync(release, 1, null, stop).ConfigureAwait(false))[0];
                _lookupMicros.Enqueue(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                if (selection.PeerId is null)
                {
                    Interlocked.Increment(ref _noCapacity);
                    _retry.Enqueue(next);
                    return;
                }

                item = next;
                peerId = selection.PeerId;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The cell's time box ended while this query waited for a slot.
        }
        finally
        {
            Interlocked.Decrement(ref _chains);
            Interlocked.Decrement(ref owned.Value);
            Interlocked.Exchange(ref _pulse, NewPulse()).TrySetResult();
        }
    }

    private async Task<PeerSelection[]> TimedSelectAsync(RedisPeerSelector selector, int count, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var selections = await selector.SelectBatchAsync(count, null, stop).ConfigureAwait(false);
        _lookupMicros.Enqueue(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        return selections;
    }

    private bool TryTake(ChannelReader<Verification> queue, out Verification item) =>
        _retry.TryDequeue(out item) || queue.TryRead(out item);

    private async Task KeepBusyAsync(LedgerPeer peer, CancellationToken stop)
    {
        // Work that reached the peer without the index (another channel, another organisation's clients).
        while (!stop.IsCancellationRequested)
        {
            await peer.EvaluateAsync(WhitelistFunctions.GetAllAssets, ["100"], _user, stop).ConfigureAwait(false);
        }
    }

    private async Task WaitForIdleAsync(CancellationToken cancellationToken)
    {
        // Let the one-second CPU window drain so the next cell starts from idle peers.
        await WaitUntilAsync(() => _sources.Values.All(s => s.Peer.GetLoad() is { InFlight: 0, Waiting: 0, CpuPercent: < 1 }), cancellationToken).ConfigureAwait(false);
        _retry.Clear();
        _lookupMicros.Clear();
        Interlocked.Exchange(ref _chains, 0);

        _perPeer.Clear();
        Interlocked.Exchange(ref _completed, 0);
        Interlocked.Exchange(ref _noCapacity, 0);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("peers did not reach the expected state within 30 s");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewPulse() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async Task IgnoreTimeout(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private readonly record struct Verification(Launch Launch, string Hash);

    private sealed class Launch(int size)
    {
        private int _remaining = size;

        public int Size { get; } = size;

        public TimeSpan Started { get; set; }

        public TimeSpan Finished { get; private set; }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Stopwatch? Clock { get; set; }

        public void CompleteOne()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                Finished = Clock?.Elapsed ?? TimeSpan.Zero;
                Done.TrySetResult();
            }
        }
    }
}
