using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Pipeline.PeerIndex;

/// <summary>
/// The peer side of the index: registers peers, publishes their load with a heartbeat TTL,
/// removes them, and lists what the index holds.
/// </summary>
/// <remarks>
/// Thread-safe; shares the process's one <see cref="IConnectionMultiplexer"/>. Redis errors
/// (<see cref="RedisConnectionException"/>, <see cref="RedisTimeoutException"/>) propagate: the
/// reporter loop logs them and tries again at its next tick.
/// </remarks>
public sealed class RedisPeerRegistry
{
    private readonly IConnectionMultiplexer _redis;
    private readonly PeerIndexOptions _options;

    /// <summary>Creates a registry over a shared multiplexer.</summary>
    public RedisPeerRegistry(IConnectionMultiplexer redis, IOptions<PeerIndexOptions> options)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _options = options.Value;
        Keys = new PeerIndexKeys(_options.KeyPrefix, _options.PeerGroup);
    }

    /// <summary>The key layout this registry writes.</summary>
    public PeerIndexKeys Keys { get; }

    /// <summary>
    /// Publishes a heartbeat with the peer's load; registers the peer when it is new or its entry
    /// expired. Returns the registration index.
    /// </summary>
    /// <exception cref="ArgumentException">The registration or load is malformed.</exception>
    public async Task<long> ReportAsync(PeerRegistration peer, PeerLoad load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        peer.Validate();
        load.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var result = await _redis.GetDatabase().ScriptEvaluateAsync(
            PeerIndexScripts.Heartbeat,
            [Keys.Peers, Keys.Sequence],
            [
                Keys.Base,
                peer.PeerId,
                Format(load.CpuPercent),
                Format(load.RamPercent),
                load.InFlight,
                (long)_options.HeartbeatTtl.TotalMilliseconds,
                NowMilliseconds(),
                peer.MspId,
                peer.Endpoint,
                peer.Ordinal,
                (long)_options.ReservationTimeout.TotalMilliseconds,
            ]).ConfigureAwait(false);
        return (long)result;
    }

    /// <summary>Removes a peer at once (a clean shutdown; a crash is covered by the TTL).</summary>
    public async Task<bool> DeregisterAsync(string peerId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = await _redis.GetDatabase().ScriptEvaluateAsync(
            PeerIndexScripts.Deregister, [Keys.Peers], [Keys.Base, peerId]).ConfigureAwait(false);
        return (long)result > 0;
    }

    /// <summary>The live peers in registration order, with their load and status.</summary>
    public async Task<IReadOnlyList<PeerSnapshot>> ListAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = await _redis.GetDatabase().ScriptEvaluateAsync(
            PeerIndexScripts.List, [Keys.Peers], [Keys.Base]).ConfigureAwait(false);
        var flat = (RedisResult[])result!;
        var peers = new List<PeerSnapshot>(flat.Length / 9);
        for (var i = 0; i + 8 < flat.Length; i += 9)
        {
            var load = new PeerLoad(Parse(flat[i + 4]), Parse(flat[i + 5]), (int)Parse(flat[i + 6]));
            var reserved = (int)Parse(flat[i + 7]);
            var pending = reserved - Math.Min(reserved, (int)Parse(flat[i + 8]));
            var effective = PeerStatusClassifier.EffectiveLoad(load, pending, _options.QueryCostPercent);
            peers.Add(new PeerSnapshot(
                (string)flat[i]!,
                (long)Parse(flat[i + 1]),
                (string?)flat[i + 2] ?? string.Empty,
                (string?)flat[i + 3] ?? string.Empty,
                load,
                reserved,
                pending,
                effective,
                PeerStatusClassifier.Classify(effective, _options)));
        }

        return peers;
    }

    internal static long NowMilliseconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static double Parse(RedisResult value)
    {
        var text = (string?)value;
        return string.IsNullOrEmpty(text) ? 0 : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
