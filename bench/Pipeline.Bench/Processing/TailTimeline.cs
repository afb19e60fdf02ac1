using System.Diagnostics;
using System.Diagnostics.Metrics;
using Pipeline.Bench.PeerIndex;
using Pipeline.Processing;
using Pipeline.Processing.Engine;

namespace Pipeline.Bench.Processing;

/// <summary>
/// A timeline for the latency run's tail report: every stage the scorer's loop reports on processing_stage_ms (a
/// <see cref="MeterListener"/> callback, on the thread that ended the stage, stamped with the Stopwatch) and the
/// process's garbage-collection pauses, read at each of those callbacks (<see cref="GC.GetTotalPauseDuration"/> and
/// the gen-1/gen-2 collection counts: a pause that grew since the previous callback is placed just before this one,
/// so it is known to within one stage; an in-process runtime EventListener was tried first, and its event dispatch
/// alone made the 90,000/s producer overflow its queue on two shared cores). <see cref="Report"/> then says, for the
/// slowest events of a run, what overlapped them.
/// </summary>
internal sealed class TailTimeline : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly List<Span> _stages = [];
    private readonly List<Span> _pauses = [];
    private readonly List<(long At, long Count)> _batches = [];
    private readonly object _gate = new();
    private TimeSpan _pauseSeen = GC.GetTotalPauseDuration();
    private int _gen1Seen = GC.CollectionCount(1);
    private int _gen2Seen = GC.CollectionCount(2);

    public TailTimeline()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ProcessingMetrics.MeterName && instrument.Name is "processing_stage_ms" or "processing_events")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<double>(OnStage);
        _meters.SetMeasurementEventCallback<long>(OnEvents);
        _meters.Start();
    }

    /// <summary>An interval on the Stopwatch clock: a stage (Name) or the GC pauses since the previous stage (Name =
    /// the highest generation collected, "gen0" to "gen2").</summary>
    public readonly record struct Span(long Start, long End, string Name)
    {
        public double Ms => Stopwatch.GetElapsedTime(Start, End).TotalMilliseconds;

        public double OverlapMs(long from, long to) =>
            Math.Max(0, Stopwatch.GetElapsedTime(Math.Max(Start, from), Math.Min(End, to)).TotalMilliseconds);
    }

    /// <summary>One joined event: Stopwatch ticks of its produce call and of its alert's arrival, and the wall-clock
    /// split at the alert's detection time (ms resolution).</summary>
    public readonly record struct Sample(long Produced, long Arrived, double ToDetectionMs, double ToArrivalMs)
    {
        public double Ms => Stopwatch.GetElapsedTime(Produced, Arrived).TotalMilliseconds;
    }

    /// <summary>Forgets what was recorded so far (call before a run).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _stages.Clear();
            _pauses.Clear();
            _batches.Clear();
        }
    }

    /// <summary>Prints, for the slowest 1 % of <paramref name="samples"/> against the middle 20 % (p40–p60), how much GC
    /// pause and which loop stages overlapped their produce → arrival window, then the slowest events one by one.</summary>
    /// <param name="samples">The run's joined events.</param>
    /// <param name="batchSize">Processing:BatchSize: a batch that size means the scorer had more waiting.</param>
    public void Report(IReadOnlyList<Sample> samples, int batchSize)
    {
        if (samples.Count < 100)
        {
            Console.WriteLine("    tail report: fewer than 100 joined events");
            return;
        }
        List<Span> stages, pauses;
        List<(long At, long Count)> batches;
        lock (_gate)
        {
            stages = [.. _stages.OrderBy(s => s.Start)];
            pauses = [.. _pauses.OrderBy(s => s.Start)];
            batches = [.. _batches];
        }
        var sorted = samples.OrderBy(s => s.Ms).ToList();
        var slow = sorted.Skip((int)(sorted.Count * 0.99)).ToList();
        var middle = sorted.Skip((int)(sorted.Count * 0.40)).Take(sorted.Count / 5).ToList();
        var first = samples.Min(s => s.Produced);
        var last = samples.Max(s => s.Arrived);
        var inRun = pauses.Where(p => p.End >= first && p.Start <= last).ToList();
        Console.WriteLine($"    tail report: {inRun.Count} GC pauses during the run ({string.Join(", ", inRun.GroupBy(p => p.Name).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count()}, max {g.Max(p => p.Ms):F1} ms, total {g.Sum(p => p.Ms):F0} ms"))})");
        var runStages = stages.Where(s => s.End >= first && s.Start <= last).ToList();
        Console.WriteLine("      loop stages during the run (count, p50 / p99 / max ms): " + string.Join("; ", runStages.GroupBy(s => s.Name)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, Count: g.Count(), P: Percentiles.Of([.. g.Select(s => s.Ms)], 50, 99, 100)))
            .Select(g => $"{g.Key} {g.Count}, {g.P[0]:F2} / {g.P[1]:F1} / {g.P[2]:F1}")));
        Console.WriteLine("      group            events  mean ms  to-detection  det->arrival  GC pause inside (share >0, mean ms)  loop busy*  batches inside (mean size, full)  offset commits inside (share >0)");
        foreach (var (name, group) in new[] { ("middle p40-p60", middle), ("slowest 1 %", slow) })
        {
            var overlaps = group.Select(s => Overlap(pauses, s)).ToList();
            var busy = group.Average(s => stages.Where(p => p.Name is ProcessingStages.Process or ProcessingStages.Deliver or ProcessingStages.Commit)
                .Sum(p => p.OverlapMs(s.Produced, s.Arrived)) / s.Ms);
            var inside = group.SelectMany(s => batches.Where(b => b.At >= s.Produced && b.At <= s.Arrived)).ToList();
            var commits = group.Count(s => stages.Any(p => p.Name == BatchConsumerLoop.OffsetCommitStage && p.End >= s.Produced && p.Start <= s.Arrived));
            Console.WriteLine($"      {name,-16} {group.Count,6} {group.Average(s => s.Ms),8:F1} {group.Average(s => s.ToDetectionMs),13:F1} {group.Average(s => s.ToArrivalMs),13:F1}  " +
                $"{overlaps.Count(o => o > 0) * 100.0 / group.Count,9:F0} %, {overlaps.Average(),6:F2} ms          {busy * 100,8:F0} %  " +
                $"{(inside.Count == 0 ? 0 : inside.Average(b => b.Count)),14:F0}, {(inside.Count == 0 ? 0 : inside.Count(b => b.Count >= batchSize) * 100.0 / inside.Count),4:F0} %  {commits * 100.0 / group.Count,19:F0} %");
        }
        Console.WriteLine("      * loop busy: share of the window the loop spent in process + deliver + commit (consume includes waiting for input)");
        Console.WriteLine("      the 5 slowest (distinct produce ms): total ms = to-detection + det->arrival | largest GC pauses inside | longest stages inside (name ms @ ms after produce)");
        var shown = new List<long>();
        foreach (var s in sorted.AsEnumerable().Reverse())
        {
            if (shown.Count == 5)
            {
                break;
            }
            if (shown.Any(t => Math.Abs(Stopwatch.GetElapsedTime(t, s.Produced).TotalMilliseconds) < 2))
            {
                continue;
            }
            shown.Add(s.Produced);
            var gcs = pauses.Where(p => p.End >= s.Produced && p.Start <= s.Arrived).OrderByDescending(p => p.Ms).Take(4)
                .Select(p => $"{p.Name} {p.Ms:F1} @ {Stopwatch.GetElapsedTime(s.Produced, p.Start).TotalMilliseconds:F0}");
            var longStages = stages.Where(p => p.End >= s.Produced && p.Start <= s.Arrived && p.Name is not (ProcessingStages.Decode or ProcessingStages.Score or ProcessingStages.Alerts))
                .OrderByDescending(p => p.Ms).Take(5)
                .Select(p => $"{p.Name} {p.Ms:F1} @ {Stopwatch.GetElapsedTime(s.Produced, p.Start).TotalMilliseconds:F0}");
            Console.WriteLine($"        {s.Ms,6:F1} = {s.ToDetectionMs,4:F0} + {s.ToArrivalMs,4:F0} | {string.Join(", ", gcs)} | {string.Join(", ", longStages)}");
        }
    }

    public void Dispose() => _meters.Dispose();

    private static double Overlap(List<Span> pauses, Sample s) => pauses.Sum(p => p.OverlapMs(s.Produced, s.Arrived));

    private void OnEvents(Instrument instrument, long count, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var at = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _batches.Add((at, count));
        }
    }

    private void OnStage(Instrument instrument, double ms, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var end = Stopwatch.GetTimestamp();
        var name = "?";
        foreach (var tag in tags)
        {
            if (tag.Key == "stage")
            {
                name = tag.Value as string ?? "?";
            }
        }
        var span = new Span(end - (long)(ms * Stopwatch.Frequency / 1000), end, name);
        var pause = GC.GetTotalPauseDuration();
        lock (_gate)
        {
            _stages.Add(span);
            if (pause > _pauseSeen)
            {
                var gen1 = GC.CollectionCount(1);
                var gen2 = GC.CollectionCount(2);
                var generation = gen2 > _gen2Seen ? "gen2" : gen1 > _gen1Seen ? "gen1" : "gen0";
                _pauses.Add(new Span(end - (long)((pause - _pauseSeen).TotalSeconds * Stopwatch.Frequency), end, generation));
                _pauseSeen = pause;
                _gen1Seen = gen1;
                _gen2Seen = gen2;
            }
        }
    }
}
