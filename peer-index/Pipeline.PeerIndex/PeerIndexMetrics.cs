using System.Diagnostics.Metrics;

namespace Pipeline.PeerIndex;

/// <summary>
/// Counters of the peer index, published on the <c>Pipeline.PeerIndex</c> meter (collected by
/// prometheus-net or any MeterListener); each carries a <c>peer_group</c> tag.
/// </summary>
public static class PeerIndexMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Pipeline.PeerIndex";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> Lookups =
        Meter.CreateCounter<long>("peer_index_lookups", description: "Lookups answered, tagged by outcome.");

    internal static readonly Counter<long> FallbackEntered =
        Meter.CreateCounter<long>("peer_index_fallback_entered", description: "Times Redis became unreachable and the selector fell back to client-side round robin.");

    internal static readonly Counter<long> Recovered =
        Meter.CreateCounter<long>("peer_index_fallback_recovered", description: "Times the selector returned to Redis after a fallback.");

    internal static readonly Counter<long> ScaleRequests =
        Meter.CreateCounter<long>("peer_index_scale_requests", description: "Scale-up requests signalled.");
}
