using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Server;
using Pipeline.PeerIndex;
using StackExchange.Redis;

namespace Pipeline.Bench.PeerIndex;

/// <summary>Figures of one cell: a strategy at a number of users, homogeneous or with a busy peer.</summary>
internal sealed record DtsCellResult(
    DtsTransport Transport,
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
    long FailedQueries,
    double BusyPeerShare,
    CellProfile Profile)
{
    public double QueriesPerSecond => Queries / Seconds;

    public double SecondsPer50k => 50_000 / QueriesPerSecond;
}

/// <summary>Where a cell's time went: index traffic, slot refill gaps and CPU use.</summary>
/// <param name="IndexCallsPerQuery">Lua calls to the index (selects, release-then-selects, releases) per completed query; heartbeats not counted.</param>
/// <param name="KeptShare">Share of queries that ran on a reservation kept from the worker's previous query (no index round trip).</param>
/// <param name="GapP50Micros">Median time a worker spent between one query's answer and sending its next query.</param>
/// <param name="GapMeanMicros">Mean of the same gap: the time a D_THROTTLE slot idles per query (Single and RoundRobin queue at the peer, which hides it).</param>
/// <param name="GapP99Micros">99th percentile of the same gap.</param>
/// <param name="EvaluateP50Micros">Median time from sending a query to its answer (slot wait + service, and over the Gateway transport the gRPC round trip, signing and the peer's checks).</param>
/// <param name="EvaluateP99Micros">99th percentile of the same time.</param>
/// <param name="BenchCores">CPU seconds the benchmark process used per wall second (2 = both cores).</param>
/// <param name="RedisCores">CPU seconds redis-server used per wall second.</param>
internal sealed record CellProfile(
    double IndexCallsPerQuery,
    double KeptShare,
    double GapP50Micros,
    double GapMeanMicros,
    double GapP99Micros,
    double EvaluateP50Micros,
    double EvaluateP99Micros,
    double BenchCores,
    double RedisCores);

/// <summary>
/// One cell of the DTS experiment: <c>users</c> endpoints each launch once and need every one of
/// the launch's executables verified on the ledger. A whitelist processor with a few dispatchers
/// pulls the verifications, reserves peers through the index in batches (one Lua call per batch),
/// evaluates <c>VerifyExecutions</c> on the chosen ledger peer, and releases with the peer's fresh
/// load. Refused lookups (D_THROTTLE's -1) wait for a completion and are retried. Under
/// D_THROTTLE a worker keeps its reservation for its next query while the peer's fresh load stays
/// below the available line (<see cref="RedisPeerSelector.CanKeepReservation"/>), unless the cell
/// runs in per-query mode, where every query goes through the index.
/// The verify itself takes the cell's <see cref="DtsTransport"/>: an in-process call, or a signed
/// proposal through the chosen peer's Fabric Gateway over gRPC; nothing else changes with it.
/// </summary>
internal sealed class DtsCell
{
    private const int LookupBatch = 64;

    // USER_HZ: the unit of /proc/PID/stat times on Linux.
    private const int ClockTicksPerSecond = 100;

    private readonly DtsBenchOptions _options;
    private readonly IConnectionMultiplexer _redis;
    private readonly LedgerNetwork _ledger;
    private readonly IReadOnlyList<string> _hashes;
    private readonly EmbeddedPeerGateways? _gateways;
    private readonly ClientIdentity _user = ClientIdentity.User("endpoint-agent", "Org1MSP");
    private readonly ConcurrentQueue<Verification> _retry = new();
    private readonly ConcurrentQueue<double> _lookupMicros = new();
    private readonly ConcurrentQueue<double> _gapMicros = new();
    private readonly ConcurrentQueue<double> _evaluateMicros = new();
    private readonly int _redisPid;
    private int _chains;
    private TaskCompletionSource _pulse = NewPulse();
    private readonly ConcurrentDictionary<string, LedgerLoadSource> _sources;
    private readonly ConcurrentDictionary<string, long> _perPeer = new();
    private long _completed;
    private long _noCapacity;
    private long _indexCalls;
    private long _kept;
    private long _failed;
    private bool _keepReservations;
    private DtsTransport _transport;

    /// <param name="options">Benchmark settings.</param>
    /// <param name="redis">Connection to the index's redis-server.</param>
    /// <param name="redisPid">redis-server's process id (its CPU use is profiled).</param>
    /// <param name="ledger">The embedded ledger, seeded.</param>
    /// <param name="hashes">The whitelisted executables one launch verifies.</param>
    /// <param name="gateways">Every peer's Gateway service and a client per peer; required by cells over <see cref="DtsTransport.Gateway"/>.</param>
    public DtsCell(DtsBenchOptions options, IConnectionMultiplexer redis, int redisPid, LedgerNetwork ledger, IReadOnlyList<string> hashes, EmbeddedPeerGateways? gateways)
    {
        _gateways = gateways;
        _redisPid = redisPid;
        _options = options;
        _redis = redis;
        _ledger = ledger;
        _hashes = hashes;
        _sources = new(ledger.Peers.Take(options.Peers).ToDictionary(p => p.Id, p => new LedgerLoadSource(p)));
    }

    /// <param name="transport">How verify queries reach the chosen peer.</param>
    /// <param name="strategy">The selection strategy.</param>
    /// <param name="users">Concurrent users, one launch each.</param>
    /// <param name="busySlots">Slots of peer0 that background work holds (0 = equal peers).</param>
    /// <param name="maxReplicas">When above 0, D_THROTTLE's scale requests go to a <see cref="PeerScaler"/> that adds up to this many ledger replicas.</param>
    /// <param name="perQueryIndex">Every query goes through the index (no kept reservations): the mode that shows the round trip's cost.</param>
    /// <param name="cancellationToken">Cancels the cell.</param>
    public async Task<DtsCellResult> RunAsync(DtsTransport transport, PeerSelectionStrategy strategy, int users, int busySlots, int maxReplicas, bool perQueryIndex, CancellationToken cancellationToken)
    {
        _transport = transport == DtsTransport.Gateway && _gateways is null
            ? throw new InvalidOperationException("a Gateway cell needs the peers' gateways (none were started)")
            : transport;
        _keepReservations = !perQueryIndex;
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
            var endpoint = $"embedded://{peer.Id}";
            if (_transport == DtsTransport.Gateway)
            {
                // A replica the scaler started mid-cell is reached like the others: through its own gateway.
                endpoint = (await _gateways!.AddPeerAsync(peer, cancellationToken).ConfigureAwait(false)).Address;
            }

            if (ordinal >= _options.Peers)
            {
                Console.Error.WriteLine($"  scaler: replica {peer.Id} joined the index at {endpoint}");
            }

            var source = _sources.GetOrAdd(peer.Id, _ => new LedgerLoadSource(peer));
            var reporter = new PeerLoadReporter(
                registry, source, new PeerRegistration(peer.Id, "Org1MSP", endpoint, ordinal), wrapped, NullLogger<PeerLoadReporter>.Instance);
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
        var benchCpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var redisCpuAtStart = ProcessCpu(_redisPid);
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
        var benchCores = (Process.GetCurrentProcess().TotalProcessorTime - benchCpuAtStart).TotalSeconds / seconds;
        var redisCores = (ProcessCpu(_redisPid) - redisCpuAtStart).TotalSeconds / seconds;
        var indexCalls = Interlocked.Read(ref _indexCalls);
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
        var gaps = _gapMicros.ToList();
        var evaluations = _evaluateMicros.ToList();
        var routed = _perPeer.Values.Sum();
        var gapPercentiles = Percentiles.Of(gaps, 50, 99);
        var evaluationPercentiles = Percentiles.Of(evaluations, 50, 99);
        var lookupPercentiles = Percentiles.Of(lookups, 50, 99);
        var profile = new CellProfile(
            queries == 0 ? 0 : (double)indexCalls / queries,
            queries == 0 ? 0 : (double)Interlocked.Read(ref _kept) / queries,
            gapPercentiles[0],
            gaps.Count == 0 ? double.NaN : gaps.Average(),
            gapPercentiles[1],
            evaluationPercentiles[0],
            evaluationPercentiles[1],
            benchCores,
            redisCores);
        var result = new DtsCellResult(
            transport,
            strategy == PeerSelectionStrategy.DynamicThrottle && perQueryIndex ? "DynamicThrottle per-query" : strategy.ToString(),
            users,
            busySlots,
            initial.Count,
            peersAtEnd,
            queries,
            seconds,
            done.Count,
            Percentiles.Of(launchSeconds, 50),
            lookupPercentiles[0],
            lookupPercentiles[1],
            sampler.PeakLoad,
            sampler.PeakOccupancy,
            sampler.MeanOccupancy,
            sampler.OverloadSamples,
            Interlocked.Read(ref _noCapacity),
            Interlocked.Read(ref _failed),
            routed == 0 ? 0 : (double)_perPeer.GetValueOrDefault(busyPeer) / routed,
            profile);
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
        var backoff = _options.RetryBackoff;
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
                    // No capacity: running chains refill the slots they free themselves; back off before
                    // asking again, longer while the answer stays -1 (each ask costs a Lua call).
                    await Task.Delay(backoff, stop).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.RetryBackoff.Ticks * 16));
                }
                else
                {
                    backoff = _options.RetryBackoff;
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
    /// One reserved slot at work: verify, then either keep the reservation for the next queued
    /// verification (D_THROTTLE, peer still below the available line) or release it with the peer's
    /// fresh load and reserve a peer for the next one in the same Lua call.
    /// </summary>
    private async Task ChainAsync(RedisPeerSelector selector, ChannelReader<Verification> queue, Verification item, string peerId, StrongBox<int> owned, CancellationToken stop)
    {
        var answeredAt = 0L;
        var onKeptReservation = false;
        try
        {
            while (true)
            {
                var verified = false;
                try
                {
                    var sentAt = Stopwatch.GetTimestamp();
                    if (answeredAt != 0)
                    {
                        _gapMicros.Enqueue(Stopwatch.GetElapsedTime(answeredAt, sentAt).TotalMicroseconds);
                    }

                    if (!await VerifyAsync(peerId, item.Hash, stop).ConfigureAwait(false))
                    {
                        // Refused or timed out at the gateway: counted, and the verification goes back in the queue.
                        Interlocked.Increment(ref _failed);
                        _retry.Enqueue(item);
                        return;
                    }

                    answeredAt = Stopwatch.GetTimestamp();
                    _evaluateMicros.Enqueue(Stopwatch.GetElapsedTime(sentAt, answeredAt).TotalMicroseconds);
                    verified = true;
                    Interlocked.Increment(ref _completed);
                    if (onKeptReservation)
                    {
                        // Counted once answered, so a query cut off by the time box does not count.
                        Interlocked.Increment(ref _kept);
                    }

                    _perPeer.AddOrUpdate(peerId, 1, (_, n) => n + 1);
                    item.Launch.CompleteOne();
                }
                finally
                {
                    if (!verified)
                    {
                        Interlocked.Increment(ref _indexCalls);
                        await selector.ReleaseAsync(new PeerSelection(SelectionOutcome.Reserved, peerId), _sources[peerId].ReadLoad(), CancellationToken.None).ConfigureAwait(false);
                    }
                }

                var fresh = _sources[peerId].ReadLoad();
                var release = new PeerRelease(peerId, 1, fresh);
                if (stop.IsCancellationRequested || !TryTake(queue, out var next))
                {
                    Interlocked.Increment(ref _indexCalls);
                    await selector.ReleaseBatchAsync([release], CancellationToken.None).ConfigureAwait(false);
                    return;
                }

                if (_keepReservations && selector.CanKeepReservation(fresh))
                {
                    // The peer is still admissible: the next query runs on this reservation, no round trip.
                    onKeptReservation = true;
                    item = next;
                    continue;
                }

                // The cool-down update and the next reservation in one Lua call.
                var started = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref _indexCalls);
                var selection = (await selector.ReleaseThenSelectAsync(release, 1, null, stop).ConfigureAwait(false))[0];
                _lookupMicros.Enqueue(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                if (selection.PeerId is null)
                {
                    Interlocked.Increment(ref _noCapacity);
                    _retry.Enqueue(next);
                    return;
                }

                onKeptReservation = false;
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

    /// <summary>One verify on <paramref name="peerId"/> over the cell's transport; false when the gateway refused it or timed out.</summary>
    private async Task<bool> VerifyAsync(string peerId, string hash, CancellationToken stop)
    {
        if (_transport == DtsTransport.InProcess)
        {
            await _sources[peerId].Peer.EvaluateAsync(WhitelistFunctions.VerifyExecutions, [hash], _user, stop).ConfigureAwait(false);
            return true;
        }

        try
        {
            await _gateways!.GetContract(peerId).EvaluateTransactionAsync(WhitelistFunctions.VerifyExecutions, [hash], stop).ConfigureAwait(false);
            return true;
        }
        catch (GatewayException)
        {
            return false;
        }
    }

    /// <summary>
    /// A few verifies on every peer over <paramref name="transport"/> (JIT, HTTP/2 connections), then
    /// waits until the peers are idle again; nothing is recorded.
    /// </summary>
    public async Task WarmUpAsync(DtsTransport transport, CancellationToken cancellationToken)
    {
        _transport = transport;
        var verifies = _sources.Keys.SelectMany(peerId => Enumerable.Range(0, _options.WorkerSlots).Select(i => VerifyAsync(peerId, _hashes[i % _hashes.Count], cancellationToken)));
        var results = await Task.WhenAll(verifies).ConfigureAwait(false);
        if (results.Any(ok => !ok))
        {
            throw new InvalidOperationException($"warm-up over {transport}: {results.Count(ok => !ok)} of {results.Length} verifies were refused");
        }

        await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<PeerSelection[]> TimedSelectAsync(RedisPeerSelector selector, int count, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _indexCalls);
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
        _gapMicros.Clear();
        _evaluateMicros.Clear();
        Interlocked.Exchange(ref _indexCalls, 0);
        Interlocked.Exchange(ref _kept, 0);
        Interlocked.Exchange(ref _chains, 0);

        _perPeer.Clear();
        Interlocked.Exchange(ref _completed, 0);
        Interlocked.Exchange(ref _noCapacity, 0);
        Interlocked.Exchange(ref _failed, 0);
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

    /// <summary>User + system CPU time of a process from <c>/proc/PID/stat</c> (zero when unreadable).</summary>
    private static TimeSpan ProcessCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
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
