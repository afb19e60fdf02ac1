using Pipeline.Ledger;

namespace Pipeline.Bench.PeerIndex;

/// <summary>
/// Samples every peer's own load report every 50 ms: the peak CPU % (worker-slot busy share over
/// the ledger's one-second window), the peak occupancy (running + queued requests over slots, which
/// passes 100 % when requests queue), and how many samples were above the 80 % overload line.
/// </summary>
internal sealed class LoadSampler(Func<IReadOnlyList<LedgerPeer>> peers, int workerSlots, double overloadLine = 80)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    public double PeakLoad { get; private set; }

    public double PeakOccupancy { get; private set; }

    public long OverloadSamples { get; private set; }

    /// <summary>Mean share of slots running or queued (capped at 100 %) over all peers and samples.</summary>
    public double MeanOccupancy => _samples == 0 ? 0 : _occupancySum / _samples;

    private double _occupancySum;
    private long _samples;

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            foreach (var peer in peers())
            {
                var load = peer.GetLoad();
                PeakLoad = Math.Max(PeakLoad, load.CpuPercent);
                var occupancy = 100.0 * (load.InFlight + load.Waiting) / workerSlots;
                PeakOccupancy = Math.Max(PeakOccupancy, occupancy);
                _occupancySum += Math.Min(100, occupancy);
                _samples++;
                if (load.CpuPercent > overloadLine)
                {
                    OverloadSamples++;
                }
            }
        }
    }
}
