namespace Pipeline.PeerIndex;

/// <summary>
/// Configuration of the Redis peer-load index (section <c>PeerIndex</c>).
/// </summary>
/// <remarks>
/// Loads are percentages of a peer's budget (0–100). A peer's effective load is the larger of its
/// CPU and RAM use plus <see cref="QueryCostPercent"/> for every reservation it has not yet reported
/// as running. It is <em>ready</em> below <see cref="ReadyBelowPercent"/>, <em>available</em> below
/// <see cref="AvailableBelowPercent"/>, otherwise overloaded. The defaults follow the DTS paper:
/// 50 %, and 70 % = the 80 % overload line minus the 10 % one query may cost. Validated by
/// <see cref="PeerIndexOptionsValidator"/>.
/// </remarks>
public sealed class PeerIndexOptions
{
    /// <summary>The configuration section bound to this class.</summary>
    public const string SectionName = "PeerIndex";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>.</summary>
    public string Redis { get; set; } = "127.0.0.1:6379";

    /// <summary>Prefix of every key the index writes; lets several stacks or tests share one server.</summary>
    public string KeyPrefix { get; set; } = "pipeline:peer-index:";

    /// <summary>The peer group (e.g. a channel or an organisation's peers) this client selects from.</summary>
    public string PeerGroup { get; set; } = "whitelist";

    /// <summary>The selection strategy a <see cref="RedisPeerSelector"/> uses.</summary>
    public PeerSelectionStrategy Strategy { get; set; } = PeerSelectionStrategy.DynamicThrottle;

    /// <summary>Effective load below which a peer is ready (percent).</summary>
    public double ReadyBelowPercent { get; set; } = 50;

    /// <summary>Effective load below which a peer is available (percent).</summary>
    public double AvailableBelowPercent { get; set; } = 70;

    /// <summary>The line no peer may pass (percent); used to count overload events.</summary>
    public double OverloadLinePercent { get; set; } = 80;

    /// <summary>The most one query may add to a peer's load (percent).</summary>
    public double QueryCostPercent { get; set; } = 10;

    /// <summary>How long a peer stays in the index after its last heartbeat.</summary>
    public TimeSpan HeartbeatTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a <see cref="PeerLoadReporter"/> publishes its peer's load.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Reservations the peer has not reported running for this long (since the last new
    /// reservation, or the last heartbeat whose in-flight count covered them all) are treated as
    /// leaked (their client died) and dropped at the next heartbeat. A reservation a worker keeps
    /// across queries stays covered while its queries run.
    /// </summary>
    public TimeSpan ReservationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a selector refreshes its list of known peers (used by the fallback).</summary>
    public TimeSpan KnownPeersRefresh { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>While Redis is unreachable, how often the selector tries it again.</summary>
    public TimeSpan RedisProbeInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>At most one scale-up request per this interval and selector.</summary>
    public TimeSpan ScaleRequestMinInterval { get; set; } = TimeSpan.FromSeconds(10);
}
