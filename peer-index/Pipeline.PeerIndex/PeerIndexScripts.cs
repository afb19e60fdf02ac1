namespace Pipeline.PeerIndex;

/// <summary>
/// The Lua scripts of the index. Each runs atomically inside redis-server, so selection and
/// reservation can never interleave between clients. Peer hashes are derived from the base
/// prefix passed in ARGV; all keys share the group's hash tag.
/// </summary>
internal static class PeerIndexScripts
{
    /// <summary>
    /// Selects and reserves <c>count</c> lookups.
    /// KEYS: peers zset, round-robin cursor. ARGV: base, strategy (1 Single, 2 RoundRobin,
    /// 3 DynamicThrottle), count, query cost, ready-below, available-below, msp ('' = any), now (ms).
    /// Returns one entry per lookup: the peer id, or -1 (no capacity / no peer).
    /// Peers whose hash expired are dropped from the zset on the way.
    /// </summary>
    public const string Select = """
        local base = ARGV[1]
        local strategy = tonumber(ARGV[2])
        local n = tonumber(ARGV[3])
        local cost = tonumber(ARGV[4])
        local readyBelow = tonumber(ARGV[5])
        local availableBelow = tonumber(ARGV[6])
        local msp = ARGV[7]
        local now = ARGV[8]
        local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
        local peers = {}
        for _, id in ipairs(ids) do
          local h = redis.call('HMGET', base .. 'peer:' .. id, 'cpu', 'ram', 'reserved', 'arrived', 'msp')
          if h[1] == false then
            redis.call('ZREM', KEYS[1], id)
          elseif msp == '' or h[5] == msp then
            local load = math.max(tonumber(h[1]) or 0, tonumber(h[2]) or 0)
            peers[#peers + 1] = { id = id, load = load, reserved = tonumber(h[3]) or 0, arrived = tonumber(h[4]) or 0, taken = 0 }
          end
        end
        local out = {}
        if #peers == 0 then
          for i = 1, n do out[i] = -1 end
          return out
        end
        if strategy == 1 then
          for i = 1, n do out[i] = peers[1].id end
          peers[1].taken = n
        elseif strategy == 2 then
          local start = redis.call('INCRBY', KEYS[2], n) - n
          for i = 1, n do
            local p = peers[((start + i - 1) % #peers) + 1]
            p.taken = p.taken + 1
            out[i] = p.id
          end
        else
          for i = 1, n do
            local chosen = nil
            local firstAvailable = nil
            for _, p in ipairs(peers) do
              local effective = p.load + cost * (p.reserved + p.taken - p.arrived)
              if effective < readyBelow then
                chosen = p
                break
              end
              if firstAvailable == nil and effective < availableBelow then
                firstAvailable = p
              end
            end
            chosen = chosen or firstAvailable
            if chosen == nil then
              for j = i, n do out[j] = -1 end
              break
            end
            chosen.taken = chosen.taken + 1
            out[i] = chosen.id
          end
        end
        for _, p in ipairs(peers) do
          if p.taken > 0 then
            local key = base .. 'peer:' .. p.id
            redis.call('HINCRBY', key, 'reserved', p.taken)
            redis.call('HSET', key, 'reservedAt', now)
          end
        end
        return out
        """;

    /// <summary>
    /// The cool-down update of one group, shared by <see cref="Release"/> and
    /// <see cref="ReleaseThenSelect"/>: subtracts <c>n</c> reservations (never below 0) and, with a
    /// fresh load, stores it and takes its in-flight count as the reservations now running.
    /// Returns 1 when the peer is live, 0 when its hash expired (the release is then ignored).
    /// </summary>
    private const string ReleaseFunction = """
        local function release(base, id, n, hasLoad, cpu, ram, inflight)
          local key = base .. 'peer:' .. id
          if redis.call('EXISTS', key) == 0 then return 0 end
          local h = redis.call('HMGET', key, 'reserved', 'arrived')
          local reserved = math.max(0, (tonumber(h[1]) or 0) - n)
          local arrived = math.max(0, (tonumber(h[2]) or 0) - n)
          if hasLoad == '1' then
            redis.call('HSET', key, 'cpu', cpu, 'ram', ram, 'inflight', inflight)
            arrived = tonumber(inflight)
          end
          if arrived > reserved then arrived = reserved end
          redis.call('HSET', key, 'reserved', reserved, 'arrived', arrived)
          return 1
        end
        """;

    /// <summary>
    /// The cool-down update: releases reservations and, when given, stores the fresh load.
    /// ARGV: base, then groups of six: peer id, count, has-load (0/1), cpu, ram, inflight.
    /// Returns how many groups matched a live peer.
    /// </summary>
    public const string Release = ReleaseFunction + "\n" + """
        local matched = 0
        for g = 2, #ARGV, 6 do
          matched = matched + release(ARGV[1], ARGV[g], tonumber(ARGV[g + 1]), ARGV[g + 2], ARGV[g + 3], ARGV[g + 4], ARGV[g + 5])
        end
        return matched
        """;

    /// <summary>
    /// The cool-down update of one completed batch followed by a selection, in one atomic call, so a
    /// worker that just freed capacity reserves its next lookups without a second round trip.
    /// KEYS and ARGV 1-8 as <see cref="Select"/>; ARGV 9-14: peer id, count, has-load, cpu, ram, inflight.
    /// </summary>
    public const string ReleaseThenSelect = ReleaseFunction + "\n" + """
        release(ARGV[1], ARGV[9], tonumber(ARGV[10]), ARGV[11], ARGV[12], ARGV[13], ARGV[14])
        """ + "\n" + Select;

    /// <summary>
    /// A heartbeat: (re)registers the peer, stores its load, re-arms the TTL, and drops leaked
    /// reservations: those the peer has not reported running (in-flight at least the reserved count)
    /// for the reservation timeout since the last new reservation or the last report that covered
    /// them all. Reservations a worker keeps across queries stay covered while their queries run.
    /// KEYS: peers zset, index counter. ARGV: base, id, cpu, ram, inflight, ttl (ms), now (ms), msp,
    /// endpoint, ordinal (-1 = next), reservation timeout (ms). Returns the registration index.
    /// </summary>
    public const string Heartbeat = """
        local base = ARGV[1]
        local id = ARGV[2]
        local key = base .. 'peer:' .. id
        local inflight = tonumber(ARGV[5])
        local now = tonumber(ARGV[7])
        local idx
        if redis.call('EXISTS', key) == 0 then
          idx = tonumber(ARGV[10])
          if idx < 0 then idx = redis.call('INCR', KEYS[2]) end
          redis.call('HSET', key, 'idx', idx, 'reserved', 0, 'arrived', 0, 'reservedAt', 0)
        else
          idx = tonumber(redis.call('HGET', key, 'idx'))
        end
        redis.call('ZADD', KEYS[1], idx, id)
        local h = redis.call('HMGET', key, 'reserved', 'reservedAt', 'coveredAt')
        local reserved = tonumber(h[1]) or 0
        local covered = math.max(tonumber(h[2]) or 0, tonumber(h[3]) or 0)
        if reserved <= inflight then
          covered = now
        elseif now - covered > tonumber(ARGV[11]) then
          reserved = inflight
          covered = now
        end
        local arrived = math.min(inflight, reserved)
        redis.call('HSET', key, 'cpu', ARGV[3], 'ram', ARGV[4], 'inflight', inflight,
          'reserved', reserved, 'arrived', arrived, 'coveredAt', covered, 'msp', ARGV[8], 'endpoint', ARGV[9], 'updated', now)
        redis.call('PEXPIRE', key, ARGV[6])
        return idx
        """;

    /// <summary>
    /// Lists live peers in index order. KEYS: peers zset. ARGV: base.
    /// Returns flat groups of nine: id, idx, msp, endpoint, cpu, ram, inflight, reserved, arrived.
    /// </summary>
    public const string List = """
        local base = ARGV[1]
        local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
        local out = {}
        for _, id in ipairs(ids) do
          local h = redis.call('HMGET', base .. 'peer:' .. id, 'idx', 'msp', 'endpoint', 'cpu', 'ram', 'inflight', 'reserved', 'arrived')
          if h[1] ~= false then
            out[#out + 1] = id
            for k = 1, 8 do out[#out + 1] = h[k] or '' end
          end
        end
        return out
        """;

    /// <summary>Removes a peer. KEYS: peers zset. ARGV: base, id.</summary>
    public const string Deregister = """
        redis.call('ZREM', KEYS[1], ARGV[2])
        return redis.call('DEL', ARGV[1] .. 'peer:' .. ARGV[2])
        """;
}
