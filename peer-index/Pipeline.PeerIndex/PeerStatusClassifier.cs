namespace Pipeline.PeerIndex;

/// <summary>
/// The pure arithmetic of the index, mirrored by the Lua scripts: effective load and status.
/// </summary>
public static class PeerStatusClassifier
{
    /// <summary>
    /// The load a selector sees: the larger of CPU and RAM plus one query cost for each
    /// reservation the peer has not yet reported as running.
    /// </summary>
    /// <param name="load">The peer's last reported load.</param>
    /// <param name="pendingReservations">Reservations not yet visible in the reported load.</param>
    /// <param name="queryCostPercent">Cost of one query, percent.</param>
    public static double EffectiveLoad(PeerLoad load, int pendingReservations, double queryCostPercent) =>
        load.Percent + (queryCostPercent * Math.Max(0, pendingReservations));

    /// <summary>Reservations not yet visible in a load report that counted <paramref name="reportedInFlight"/> running queries.</summary>
    public static int Pending(int reserved, int reportedInFlight) =>
        Math.Max(0, reserved - Math.Min(Math.Max(0, reportedInFlight), reserved));

    /// <summary>Classifies an effective load against the configured thresholds.</summary>
    public static PeerStatus Classify(double effectiveLoadPercent, PeerIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Classify(effectiveLoadPercent, options.ReadyBelowPercent, options.AvailableBelowPercent);
    }

    /// <summary>Classifies an effective load: ready below <paramref name="readyBelow"/>, available below <paramref name="availableBelow"/>.</summary>
    public static PeerStatus Classify(double effectiveLoadPercent, double readyBelow, double availableBelow)
    {
        if (double.IsNaN(effectiveLoadPercent))
        {
            throw new ArgumentOutOfRangeException(nameof(effectiveLoadPercent), "Load must be a number.");
        }

        if (effectiveLoadPercent < readyBelow)
        {
            return PeerStatus.Ready;
        }

        return effectiveLoadPercent < availableBelow ? PeerStatus.Available : PeerStatus.Overloaded;
    }

    /// <summary>
    /// D_THROTTLE over loads in index order: the position of the first ready peer, else of the
    /// first available one, else -1. The Lua script applies the same rule inside Redis.
    /// </summary>
    public static int SelectDynamicThrottle(IReadOnlyList<double> effectiveLoadsInIndexOrder, PeerIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(effectiveLoadsInIndexOrder);
        ArgumentNullException.ThrowIfNull(options);
        var firstAvailable = -1;
        for (var i = 0; i < effectiveLoadsInIndexOrder.Count; i++)
        {
            var status = Classify(effectiveLoadsInIndexOrder[i], options);
            if (status == PeerStatus.Ready)
            {
                return i;
            }

            if (status == PeerStatus.Available && firstAvailable < 0)
            {
                firstAvailable = i;
            }
        }

        return firstAvailable;
    }
}
