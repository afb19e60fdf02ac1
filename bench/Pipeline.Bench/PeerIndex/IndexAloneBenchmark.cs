using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.PeerIndex;
using StackExchange.Redis;
using IndexLoad = Pipeline.PeerIndex.PeerLoad;

namespace Pipeline.Bench.PeerIndex;

/// <summary>
/// The index alone: D_THROTTLE selections and their releases against redis-server, with batched
/// reservation (one Lua call reserves a launch's lookups) and pipelining (many calls in flight on
/// the one multiplexer), beside a single-lookup run and redis-benchmark's own EVAL rate.
/// </summary>
internal static class IndexAloneBenchmark
{
    public sealed record Result(string Mode, int Batch, int Concurrency, long Lookups, double Seconds, double P50Micros, double P99Micros)
    {
        public double LookupsPerSecond => Lookups / Seconds;
    }

    public static async Task<Result> RunAsync(IConnectionMultiplexer redis, int peers, int batch, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        // Tiny per-query cost so capacity never runs out: this measures routing, not throttling.
        var options = Options.Create(new PeerIndexOptions
        {
            KeyPrefix = $"bench:index:{Guid.NewGuid():N}:",
            Strategy = PeerSelectionStrategy.DynamicThrottle,
            QueryCostPercent = 0.0001,
            HeartbeatTtl = TimeSpan.FromMinutes(5),
            ReportInterval = TimeSpan.FromMinutes(1),
        });
        var registry = new RedisPeerRegistry(redis, options);
        for (var p = 0; p < peers; p++)
        {
            await registry.ReportAsync(new PeerRegistration($"peer{p}", "Org1MSP", $"embedded://peer{p}", p), new IndexLoad(10 * p, 5, 0), cancellationToken).ConfigureAwait(false);
        }

        var selector = new RedisPeerSelector(redis, options, NullLogger<RedisPeerSelector>.Instance);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            long lookups = 0;
            var micros = new List<double>();
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                var selections = await selector.SelectBatchAsync(batch, null, cancellationToken).ConfigureAwait(false);
                var releases = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var selection in selections)
                {
                    if (selection.PeerId is { } id)
                    {
                        releases[id] = releases.GetValueOrDefault(id) + 1;
                        lookups++;
                    }
                }

                await selector.ReleaseBatchAsync(releases.Select(r => new PeerRelease(r.Key, r.Value, new IndexLoad(20, 5, 0))).ToList(), cancellationToken).ConfigureAwait(false);
                micros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }

            return (lookups, micros);
        }, cancellationToken)).ToArray();
        var results = await Task.WhenAll(workers).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = results.SelectMany(r => r.micros).ToList();
        return new Result(batch == 1 ? "single lookups" : "batched", batch, concurrency, results.Sum(r => r.lookups), seconds, Percentiles.Of(all, 50), Percentiles.Of(all, 99));
    }

    /// <summary>Runs <c>redis-benchmark -p PORT -n 100000 -q eval "return 1" 0</c> and returns its summary line.</summary>
    public static async Task<string> RedisBenchmarkEvalAsync(int port, CancellationToken cancellationToken)
    {
        const string Tool = "/usr/bin/redis-benchmark";
        if (!File.Exists(Tool))
        {
            return $"redis-benchmark not found at {Tool} (it ships with: apt-get install -y redis-tools)";
        }

        var start = new ProcessStartInfo(Tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-p", port.ToString(CultureInfo.InvariantCulture), "-n", "100000", "-q", "eval", "return 1", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Tool}");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        // -q prints progress with carriage returns; the summary is the last segment.
        var summary = output.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? string.Empty;
        return process.ExitCode == 0 ? summary : $"redis-benchmark exited {process.ExitCode}: {summary}";
    }
}
