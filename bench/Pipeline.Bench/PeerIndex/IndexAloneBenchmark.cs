using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.PeerIndex;
using StackExchange.Redis;
using IndexLoad = Pipeline.PeerIndex.PeerLoad;

namespace Pipeline.Bench.PeerIndex;

/// <summary>
/// The index alone: D_THROTTLE lookups against redis-server, the way a worker makes them in steady
/// state (one <c>ReleaseThenSelect</c> Lua call hands back the previous lookups and reserves the
/// next ones), one lookup per call and a launch's lookups per call, many calls in flight on the one
/// multiplexer. Beside it, redis-benchmark (a C client) runs the very same script with the same
/// arguments and concurrency, so the ratio of the two is the cost of our client side (StackExchange.Redis,
/// the selector, task scheduling); and a trivial <c>EVAL "return 1"</c> gives the floor of one round trip.
/// </summary>
internal static class IndexAloneBenchmark
{
    private const string Tool = "/usr/bin/redis-benchmark";

    public sealed record Result(string Mode, int Batch, int Concurrency, long Lookups, long Calls, double Seconds, double P50Micros, double P99Micros)
    {
        public double LookupsPerSecond => Lookups / Seconds;

        public double CallsPerSecond => Calls / Seconds;
    }

    /// <summary>A registered index and a selector over it (4 peers, a tiny per-query cost so capacity never runs out: this measures routing, not throttling).</summary>
    public sealed record Index(RedisPeerSelector Selector, PeerIndexKeys Keys, PeerIndexOptions Options);

    public static async Task<Index> RegisterAsync(IConnectionMultiplexer redis, int peers, CancellationToken cancellationToken)
    {
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
        return new Index(selector, selector.Keys, options.Value);
    }

    public static async Task<Result> RunAsync(Index index, int batch, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var selector = index.Selector;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            long lookups = 0;
            long calls = 1;
            var micros = new List<double>();
            var held = await selector.SelectBatchAsync(batch, null, cancellationToken).ConfigureAwait(false);
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                var releases = held.Where(s => s.PeerId is not null).GroupBy(s => s.PeerId!).Select(g => new PeerRelease(g.Key, g.Count(), new IndexLoad(20, 5, 0))).ToList();
                if (releases.Count == 1)
                {
                    held = await selector.ReleaseThenSelectAsync(releases[0], batch, null, cancellationToken).ConfigureAwait(false);
                    calls++;
                }
                else
                {
                    await selector.ReleaseBatchAsync(releases, cancellationToken).ConfigureAwait(false);
                    held = await selector.SelectBatchAsync(batch, null, cancellationToken).ConfigureAwait(false);
                    calls += 2;
                }

                micros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                lookups += held.Count(s => s.PeerId is not null);
            }

            return (lookups, calls, micros);
        }, cancellationToken)).ToArray();
        var results = await Task.WhenAll(workers).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = results.SelectMany(r => r.micros).ToList();
        var percentiles = Percentiles.Of(all, 50, 99);
        return new Result(
            batch == 1 ? "one lookup per call" : "a launch per call",
            batch,
            concurrency,
            results.Sum(r => r.lookups),
            results.Sum(r => r.calls),
            seconds,
            percentiles[0],
            percentiles[1]);
    }

    /// <summary>
    /// redis-benchmark running the same <c>ReleaseThenSelect</c> script (by its SHA) with the
    /// arguments a worker sends: release <paramref name="batch"/> lookups on peer0, reserve
    /// <paramref name="batch"/> new ones with D_THROTTLE. Returns the command line and its summary.
    /// </summary>
    public static async Task<(string Command, string Summary, double CallsPerSecond)> RedisBenchmarkScriptAsync(
        IConnectionMultiplexer redis, Index index, int port, int batch, int concurrency, int requests, CancellationToken cancellationToken)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var sha = Convert.ToHexStringLower(await server.ScriptLoadAsync(PeerIndexScripts.ReleaseThenSelect).ConfigureAwait(false));
        var o = index.Options;
        string[] args =
        [
            "EVALSHA", sha, "2", index.Keys.Peers.ToString(), index.Keys.RoundRobinCursor.ToString(),
            index.Keys.Base, "3", batch.ToString(CultureInfo.InvariantCulture),
            Format(o.QueryCostPercent), Format(o.ReadyBelowPercent), Format(o.AvailableBelowPercent), string.Empty, "0",
            "peer0", batch.ToString(CultureInfo.InvariantCulture), "0", "0", "0", "0",
        ];
        return await RedisBenchmarkAsync(port, concurrency, requests, args, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>redis-benchmark's unpipelined <c>EVAL "return 1" 0</c>: one round trip with a Lua call that does nothing.</summary>
    public static Task<(string Command, string Summary, double CallsPerSecond)> RedisBenchmarkEvalAsync(int port, int concurrency, CancellationToken cancellationToken) =>
        RedisBenchmarkAsync(port, concurrency, 100_000, ["eval", "return 1", "0"], cancellationToken);

    private static async Task<(string Command, string Summary, double CallsPerSecond)> RedisBenchmarkAsync(
        int port, int concurrency, int requests, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        string[] options = ["-p", port.ToString(CultureInfo.InvariantCulture), "-c", concurrency.ToString(CultureInfo.InvariantCulture), "-n", requests.ToString(CultureInfo.InvariantCulture), "-q"];
        var shown = $"redis-benchmark {string.Join(' ', options)} {string.Join(' ', command.Select(Quote))}";
        if (!File.Exists(Tool))
        {
            return (shown, $"redis-benchmark not found at {Tool} (it ships with: apt-get install -y redis-tools)", double.NaN);
        }

        var start = new ProcessStartInfo(Tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in options.Concat(command))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Tool}");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        // -q prints progress with carriage returns; the summary is the last segment.
        var summary = output.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? string.Empty;
        if (process.ExitCode != 0)
        {
            return (shown, $"redis-benchmark exited {process.ExitCode}: {summary}", double.NaN);
        }

        // "<command>: 12345.67 requests per second, p50=..."
        var marker = summary.IndexOf(" requests per second", StringComparison.Ordinal);
        var colon = marker < 0 ? -1 : summary.LastIndexOf(": ", marker, StringComparison.Ordinal);
        var rate = colon < 0 || !double.TryParse(summary[(colon + 2)..marker], NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? double.NaN
            : parsed;
        // The summary repeats the command; keep only what follows it.
        return (shown, colon < 0 ? summary : summary[(colon + 2)..], rate);
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string arg) => arg.Length == 0 || arg.Contains(' ', StringComparison.Ordinal) ? $"\"{arg}\"" : arg;
}
