using StackExchange.Redis;

namespace Pipeline.PeerIndex;

/// <summary>
/// The Redis key layout of one peer group. Every key carries the group in a hash tag
/// (<c>{group}</c>), so a group lives in one cluster slot and its scripts stay atomic.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>{prefix}{group}:peers</c> — sorted set, member = peer id, score = registration index.</item>
/// <item><c>{prefix}{group}:seq</c> — counter that hands out registration indices.</item>
/// <item><c>{prefix}{group}:rr</c> — the shared round-robin cursor.</item>
/// <item><c>{prefix}{group}:peer:{id}</c> — hash: cpu, ram, inflight, reserved, arrived, idx, msp,
/// endpoint, updated, reservedAt; expires <see cref="PeerIndexOptions.HeartbeatTtl"/> after the last heartbeat.</item>
/// </list>
/// </remarks>
public sealed class PeerIndexKeys
{
    /// <summary>Builds the key layout of a group under a prefix.</summary>
    /// <exception cref="ArgumentException">The group name is malformed.</exception>
    public PeerIndexKeys(string keyPrefix, string peerGroup)
    {
        ArgumentNullException.ThrowIfNull(keyPrefix);
        if (!PeerRegistration.IsValidName(peerGroup))
        {
            throw new ArgumentException($"Peer group '{peerGroup}' must be 1-128 characters of letters, digits, '.', '_' or '-'.", nameof(peerGroup));
        }

        PeerGroup = peerGroup;
        Base = $"{keyPrefix}{{{peerGroup}}}:";
        Peers = Base + "peers";
        Sequence = Base + "seq";
        RoundRobinCursor = Base + "rr";
    }

    /// <summary>The group these keys belong to.</summary>
    public string PeerGroup { get; }

    /// <summary>Prefix shared by the group's keys, including the hash tag.</summary>
    public string Base { get; }

    /// <summary>The sorted set of registered peers.</summary>
    public RedisKey Peers { get; }

    /// <summary>The registration index counter.</summary>
    public RedisKey Sequence { get; }

    /// <summary>The round-robin cursor.</summary>
    public RedisKey RoundRobinCursor { get; }

    /// <summary>The hash holding one peer's load and reservations.</summary>
    public RedisKey Peer(string peerId) => Base + "peer:" + peerId;
}
