using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using StackExchange.Redis;

namespace Pipeline.PeerIndex;

/// <summary>
/// The client side of the index: selects and reserves peers for queries with the configured
/// strategy in one atomic Lua script per call, and releases them with a cool-down update.
/// </summary>
/// <remarks>
/// <para>Thread-safe; one instance per process and strategy, sharing the process's multiplexer.</para>
/// <para>When Redis is unreachable (connection or timeout errors) the selector answers from
/// client-side round robin over the last peers it saw, logs the switch once, counts it on the
/// <see cref="PeerIndexMetrics.MeterName"/> meter, and probes Redis every
/// <see cref="PeerIndexOptions.RedisProbeInterval"/> until it answers again.</para>
/// <para>When D_THROTTLE has no capacity, a <see cref="ScaleRequest"/> goes to the
/// <see cref="IScaleRequestSink"/>, at most once per <see cref="PeerIndexOptions.ScaleRequestMinInterval"/>.</para>
/// </remarks>
public sealed class RedisPeerSelector
{
    /// <summary>The most lookups one call may reserve.</summary>
    public const int MaxBatch = 10_000;

    // Script argument layout: the select's eight, then six per release.
    private const int SelectArgs = 8;
    private const int ReleaseArgs = 6;

    private readonly IConnectionMultiplexer _redis;
    private readonly PeerIndexOptions _options;
    private readonly ILogger<RedisPeerSelector> _logger;
    private readonly IScaleRequestSink? _scaleSink;
    private readonly TimeProvider _time;
    private readonly RedisValue _strategyArg;
    private readonly RedisValue _costArg;
    private readonly RedisValue _readyArg;
    private readonly RedisValue _availableArg;
    private readonly KeyValuePair<string, object?> _groupTag;

    private volatile string[] _knownPeers = [];
    private long _knownPeersAt = long.MinValue;
    private int _refreshing;
    private int _inFallback;
    private long _nextProbeAt;
    private long _fallbackCursor = -1;
    private long _lastScaleAt = long.MinValue;
    private long _fallbackLookups;
    private long _fallbackEntries;
    private long _recoveries;
    private long _noCapacityLookups;
    private long _scaleRequests;

    /// <summary>Creates a selector.</summary>
    /// <param name="redis">The process's shared multiplexer (configure it with <c>AbortOnConnectFail=false</c>; <see cref="PeerIndexConnection.ConnectAsync"/> does).</param>
    /// <param name="options">Index options; <see cref="PeerIndexOptions.Strategy"/> picks the strategy.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="scaleSink">Receives scale-up requests; null to only log them.</param>
    /// <param name="time">Clock; <see cref="TimeProvider.System"/> by default.</param>
    public RedisPeerSelector(
        IConnectionMultiplexer redis,
        IOptions<PeerIndexOptions> options,
        ILogger<RedisPeerSelector> logger,
        IScaleRequestSink? scaleSink = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _redis = redis;
        _options = options.Value;
        _logger = logger;
        _scaleSink = scaleSink;
        _time = time ?? TimeProvider.System;
        Keys = new PeerIndexKeys(_options.KeyPrefix, _options.PeerGroup);
        _strategyArg = (int)_options.Strategy;
        _costArg = RedisPeerRegistry.Format(_options.QueryCostPercent);
        _readyArg = RedisPeerRegistry.Format(_options.ReadyBelowPercent);
        _availableArg = RedisPeerRegistry.Format(_options.AvailableBelowPercent);
        _groupTag = new("peer_group", _options.PeerGroup);
    }

    /// <summary>The key layout this selector reads.</summary>
    public PeerIndexKeys Keys { get; }

    /// <summary>The strategy this selector applies.</summary>
    public PeerSelectionStrategy Strategy => _options.Strategy;

    /// <summary>Whether the selector is answering from its client-side fallback.</summary>
    public bool IsInFallback => Volatile.Read(ref _inFallback) == 1;

    /// <summary>Lookups answered by the fallback so far.</summary>
    public long FallbackLookups => Interlocked.Read(ref _fallbackLookups);

    /// <summary>Times Redis became unreachable.</summary>
    public long FallbackEntries => Interlocked.Read(ref _fallbackEntries);

    /// <summary>Times the selector returned to Redis after a fallback.</summary>
    public long Recoveries => Interlocked.Read(ref _recoveries);

    /// <summary>Lookups answered with no capacity.</summary>
    public long NoCapacityLookups => Interlocked.Read(ref _noCapacityLookups);

    /// <summary>Scale-up requests signalled.</summary>
    public long ScaleRequestsSignalled => Interlocked.Read(ref _scaleRequests);

    /// <summary>The peers the fallback would rotate over (refreshed while Redis answers).</summary>
    public IReadOnlyList<string> KnownPeers => _knownPeers;

    /// <summary>Selects and reserves a peer for one query, from any organisation.</summary>
    public async Task<PeerSelection> SelectAsync(CancellationToken cancellationToken) =>
        (await SelectBatchAsync(1, null, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Selects and reserves peers for <paramref name="count"/> queries in one atomic call.
    /// Entries with <see cref="SelectionOutcome.NoCapacity"/> reserved nothing.
    /// </summary>
    /// <param name="count">Lookups to reserve, 1 to <see cref="MaxBatch"/>.</param>
    /// <param name="mspId">Only peers of this organisation, or null for any.</param>
    /// <param name="cancellationToken">Cancels before the call is sent.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="mspId"/> is malformed.</exception>
    public Task<PeerSelection[]> SelectBatchAsync(int count, string? mspId, CancellationToken cancellationToken) =>
        SelectCoreAsync(null, count, mspId, cancellationToken);

    /// <summary>
    /// Releases completed lookups on one peer (the cool-down update with its fresh load) and selects
    /// and reserves <paramref name="count"/> new ones, in one atomic call: the loop of a worker that
    /// hands each freed slot straight to its next query. While Redis is unreachable the release is
    /// skipped and the selection comes from the fallback.
    /// </summary>
    /// <exception cref="ArgumentException">The release or the count is malformed.</exception>
    public Task<PeerSelection[]> ReleaseThenSelectAsync(PeerRelease release, int count, string? mspId, CancellationToken cancellationToken) =>
        SelectCoreAsync(release, count, mspId, cancellationToken);

    /// <summary>
    /// Whether a worker that holds a reservation on a peer, and has just completed a query there,
    /// may keep that reservation for its next query instead of releasing it and selecting again:
    /// true under D_THROTTLE when the peer's fresh load (measured after the completed query left it)
    /// is still ready or available, and Redis is answering.
    /// </summary>
    /// <remarks>
    /// Keeping a reservation leaves the index's accounting unchanged (one query ends, one starts on
    /// the same reservation), so no peer can be pushed past what the index admitted; a peer whose
    /// load grew from work the index did not route (another channel, another organisation) is left
    /// as soon as its fresh load reaches the available line. It takes the index round trip off the
    /// path between two queries of one worker: D_THROTTLE keeps no queue at the peer, so without
    /// it the slot idles for that round trip after every query. What it gives up: the next query
    /// stays on an admissible peer instead of moving to the first ready one in index order; new
    /// reservations still follow that order. Single and RoundRobin always answer false (their
    /// semantics are per query, and their queues hide the round trip).
    /// </remarks>
    /// <param name="freshLoad">The peer's load measured after the completed query left it.</param>
    public bool CanKeepReservation(PeerLoad freshLoad) =>
        _options.Strategy == PeerSelectionStrategy.DynamicThrottle
        && !IsInFallback
        && PeerStatusClassifier.Classify(freshLoad.Percent, _options) != PeerStatus.Overloaded;

    /// <summary>Releases one completed lookup; <paramref name="freshLoad"/> is the peer's load as it answered.</summary>
    public Task ReleaseAsync(PeerSelection selection, PeerLoad? freshLoad, CancellationToken cancellationToken)
    {
        if (selection.Outcome != SelectionOutcome.Reserved || selection.PeerId is null)
        {
            // Nothing was reserved in Redis for no-capacity or fallback answers.
            return Task.CompletedTask;
        }

        return ReleaseBatchAsync([new PeerRelease(selection.PeerId, 1, freshLoad)], cancellationToken);
    }

    /// <summary>
    /// Releases many lookups in one atomic call: the cool-down update that subtracts their
    /// reservations and stores each peer's fresh load. Skipped (and logged at debug) while Redis
    /// is unreachable; reservations on a peer that expired meanwhile are ignored.
    /// </summary>
    /// <exception cref="ArgumentException">A release names a malformed peer or a count below 1.</exception>
    public async Task ReleaseBatchAsync(IReadOnlyList<PeerRelease> releases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(releases);
        if (releases.Count == 0)
        {
            return;
        }

        var args = new RedisValue[1 + (ReleaseArgs * releases.Count)];
        args[0] = Keys.Base;
        var total = 0;
        for (var i = 0; i < releases.Count; i++)
        {
            WriteRelease(args, 1 + (ReleaseArgs * i), releases[i], nameof(releases));
            total += releases[i].Count;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (IsInFallback)
        {
            PeerIndexLog.ReleaseSkipped(_logger, _options.PeerGroup, total);
            return;
        }

        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(PeerIndexScripts.Release, [Keys.Peers], args).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisUnavailable(ex))
        {
            EnterFallback(ex);
        }
    }

    /// <summary>One select path: <see cref="PeerIndexScripts.Select"/>, or with a release in front <see cref="PeerIndexScripts.ReleaseThenSelect"/>.</summary>
    private async Task<PeerSelection[]> SelectCoreAsync(PeerRelease? release, int count, string? mspId, CancellationToken cancellationToken)
    {
        if (count is < 1 or > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"A batch reserves 1 to {MaxBatch} lookups.");
        }

        if (mspId is not null && !PeerRegistration.IsValidName(mspId))
        {
            throw new ArgumentException($"MSP id '{mspId}' is malformed.", nameof(mspId));
        }

        var args = new RedisValue[SelectArgs + (release.HasValue ? ReleaseArgs : 0)];
        args[0] = Keys.Base;
        args[1] = _strategyArg;
        args[2] = count;
        args[3] = _costArg;
        args[4] = _readyArg;
        args[5] = _availableArg;
        args[6] = mspId ?? string.Empty;
        args[7] = RedisPeerRegistry.NowMilliseconds();
        if (release is { } r)
        {
            WriteRelease(args, SelectArgs, r, nameof(release));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetTimestamp();
        if (IsInFallback && !TryClaimProbe(now))
        {
            return AnswerFromFallback(count);
        }

        RedisResult result;
        try
        {
            await RefreshKnownPeersIfStaleAsync(now).ConfigureAwait(false);
            result = await _redis.GetDatabase().ScriptEvaluateAsync(
                release.HasValue ? PeerIndexScripts.ReleaseThenSelect : PeerIndexScripts.Select,
                [Keys.Peers, Keys.RoundRobinCursor],
                args).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisUnavailable(ex))
        {
            EnterFallback(ex);
            return AnswerFromFallback(count);
        }

        LeaveFallbackIfNeeded();
        return ParseSelection((RedisResult[])result!, count);
    }

    /// <summary>Validates a release and writes its six script arguments (id, count, has-load, cpu, ram, in-flight) at <paramref name="at"/>.</summary>
    private static void WriteRelease(RedisValue[] args, int at, PeerRelease release, string paramName)
    {
        if (!PeerRegistration.IsValidName(release.PeerId) || release.Count < 1)
        {
            throw new ArgumentException($"Release of {release.Count} lookups on peer '{release.PeerId}' is malformed.", paramName);
        }

        release.FreshLoad?.Validate();
        var load = release.FreshLoad ?? default;
        args[at] = release.PeerId;
        args[at + 1] = release.Count;
        args[at + 2] = release.FreshLoad.HasValue ? 1 : 0;
        args[at + 3] = RedisPeerRegistry.Format(load.CpuPercent);
        args[at + 4] = RedisPeerRegistry.Format(load.RamPercent);
        args[at + 5] = load.InFlight;
    }

    private PeerSelection[] ParseSelection(RedisResult[] entries, int count)
    {
        var selections = new PeerSelection[count];
        var noCapacity = 0;
        for (var i = 0; i < count; i++)
        {
            var id = i < entries.Length ? (string?)entries[i] : null;
            if (id is null || id == "-1")
            {
                selections[i] = PeerSelection.NoCapacity;
                noCapacity++;
            }
            else
            {
                selections[i] = new PeerSelection(SelectionOutcome.Reserved, id);
            }
        }

        if (noCapacity > 0)
        {
            Interlocked.Add(ref _noCapacityLookups, noCapacity);
            PeerIndexMetrics.Lookups.Add(noCapacity, _groupTag, new("outcome", "no_capacity"));
            SignalScaleUp(noCapacity, count);
        }

        if (noCapacity < count)
        {
            PeerIndexMetrics.Lookups.Add(count - noCapacity, _groupTag, new("outcome", "reserved"));
        }

        return selections;
    }

    private PeerSelection[] AnswerFromFallback(int count)
    {
        var peers = _knownPeers;
        var selections = new PeerSelection[count];
        if (peers.Length == 0)
        {
            Array.Fill(selections, PeerSelection.NoCapacity);
            Interlocked.Add(ref _noCapacityLookups, count);
            PeerIndexMetrics.Lookups.Add(count, _groupTag, new("outcome", "no_capacity"));
            return selections;
        }

        var end = Interlocked.Add(ref _fallbackCursor, count);
        var start = end - count + 1;
        for (var i = 0; i < count; i++)
        {
            var slot = (int)((ulong)(start + i) % (ulong)peers.Length);
            selections[i] = new PeerSelection(SelectionOutcome.Fallback, peers[slot]);
        }

        Interlocked.Add(ref _fallbackLookups, count);
        PeerIndexMetrics.Lookups.Add(count, _groupTag, new("outcome", "fallback"));
        return selections;
    }

    private async Task RefreshKnownPeersIfStaleAsync(long now)
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _knownPeersAt), now) < _options.KnownPeersRefresh
            && Interlocked.Read(ref _knownPeersAt) != long.MinValue)
        {
            return;
        }

        if (Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            var members = await _redis.GetDatabase().SortedSetRangeByRankAsync(Keys.Peers).ConfigureAwait(false);
            var peers = new string[members.Length];
            for (var i = 0; i < members.Length; i++)
            {
                peers[i] = members[i].ToString();
            }

            // An empty answer right after a Redis restart must not wipe what the fallback knows.
            if (peers.Length > 0 || _knownPeers.Length == 0)
            {
                _knownPeers = peers;
            }

            Interlocked.Exchange(ref _knownPeersAt, now);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private bool TryClaimProbe(long now)
    {
        var next = Interlocked.Read(ref _nextProbeAt);
        if (now < next)
        {
            return false;
        }

        var interval = (long)(_options.RedisProbeInterval.TotalSeconds * _time.TimestampFrequency);
        return Interlocked.CompareExchange(ref _nextProbeAt, now + interval, next) == next;
    }

    private void EnterFallback(Exception exception)
    {
        var interval = (long)(_options.RedisProbeInterval.TotalSeconds * _time.TimestampFrequency);
        Interlocked.Exchange(ref _nextProbeAt, _time.GetTimestamp() + interval);
        if (Interlocked.CompareExchange(ref _inFallback, 1, 0) == 0)
        {
            Interlocked.Increment(ref _fallbackEntries);
            PeerIndexMetrics.FallbackEntered.Add(1, _groupTag);
            PeerIndexLog.EnteredFallback(_logger, _options.PeerGroup, _knownPeers.Length, exception);
        }
    }

    private void LeaveFallbackIfNeeded()
    {
        if (Volatile.Read(ref _inFallback) == 1 && Interlocked.CompareExchange(ref _inFallback, 0, 1) == 1)
        {
            Interlocked.Increment(ref _recoveries);
            PeerIndexMetrics.Recovered.Add(1, _groupTag);
            PeerIndexLog.Recovered(_logger, _options.PeerGroup, FallbackLookups);
        }
    }

    private void SignalScaleUp(int noCapacity, int count)
    {
        if (_options.Strategy != PeerSelectionStrategy.DynamicThrottle)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastScaleAt);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < _options.ScaleRequestMinInterval)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _lastScaleAt, now, last) != last)
        {
            return;
        }

        var request = new ScaleRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            PeerGroup = _options.PeerGroup,
            Strategy = "D_THROTTLE",
            Reason = string.Create(CultureInfo.InvariantCulture, $"no ready or available peer for {noCapacity} of {count} lookups"),
            ActivePeers = _knownPeers.Length,
            RequestedAt = _time.GetUtcNow(),
        };
        Interlocked.Increment(ref _scaleRequests);
        PeerIndexMetrics.ScaleRequests.Add(1, _groupTag);
        PeerIndexLog.ScaleRequested(_logger, request.PeerGroup, request.ActivePeers, request.RequestId);
        if (_scaleSink is not null)
        {
            _ = DeliverScaleRequestAsync(_scaleSink, request);
        }
    }

    private async Task DeliverScaleRequestAsync(IScaleRequestSink sink, ScaleRequest request)
    {
        try
        {
            // Off the lookup path: the caller already has its no-capacity answer.
            await Task.Yield();
            await sink.PublishAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            PeerIndexLog.ScaleRequestFailed(_logger, request.PeerGroup, request.RequestId, ex);
        }
    }

    private static bool IsRedisUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal),
        _ => false,
    };
}
