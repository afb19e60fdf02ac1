using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pipeline.Contracts;
using Pipeline.Platform.Kafka;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Processing;

/// <summary>
/// Issue #5's latency goal at its operating point, with the scorer alone on its core. <c>processing</c> pins the
/// whole process to one core, so at half the scorer's maximum rate the readings' producer, the embedded broker and
/// the alert collector compete with the scorer for that core and saturate it. Here this process (broker, producer,
/// collector) runs where it is started (e.g. <c>taskset -c 1</c>) and the scorer is a real
/// <c>pipeline process scoring --stream iiot</c> child pinned to <c>--scorer-cpu</c>. The child's maximum rate is
/// measured by letting it drain a pre-filled backlog (events counted from its Prometheus endpoint; the first quarter is
/// warm-up and not timed; the embedded broker keeps a bounded log, so the backlog stays at the default 200,000), then readings are
/// produced at half that rate and produce → alert is measured as in <c>processing</c> (calibrated threshold, then
/// every event alerting after a model swap through fl.global-model). Prints figures; never passes or fails.
/// </summary>
public static class SplitLatencyBenchmark
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("processing-latency pins the scorer with taskset: Linux only");
            return 2;
        }
        var pipeline = ProcessingBenchmark.StringArg(args, "--pipeline") ?? FindPipeline();
        var scorerCpu = ProcessingBenchmark.Arg(args, "--scorer-cpu", 0);
        var events = ProcessingBenchmark.Arg(args, "--events", 200_000);
        var seconds = ProcessingBenchmark.Arg(args, "--latency-seconds", 10);
        var rateOverride = ProcessingBenchmark.Arg(args, "--rate", 0);
        var seed = ProcessingBenchmark.Arg(args, "--seed", 42);
        var lingerMs = ProcessingBenchmark.Arg(args, "--linger-ms", -1);
        var scorerFetchWaitMs = ProcessingBenchmark.Arg(args, "--fetch-wait-ms", Pipeline.Processing.Engine.BatchConsumerLoop.EmbeddedFetchWaitMs);
        if (pipeline is null || !File.Exists(pipeline))
        {
            Console.Error.WriteLine("processing-latency: the pipeline CLI was not found; build cli/Pipeline.Cli -c Release or pass --pipeline PATH");
            return 2;
        }

        Console.WriteLine($"processing-latency: this process (broker, producer, collector) on affinity mask 0x{(long)Process.GetCurrentProcess().ProcessorAffinity:X}; " +
            $"scorer = `{pipeline} process scoring --stream iiot` on CPU {scorerCpu}; load average {ProcessingBenchmark.LoadAverage()}");
        using var broker = EmbeddedKafkaBroker.Start(1, Topics.All);
        var kafka = new KafkaOptions { BootstrapServers = broker.BootstrapServers };
        if (lingerMs >= 0)
        {
            kafka.Producer.LingerMs = lingerMs;
        }
        var clients = new KafkaClientFactory(broker.BootstrapServers, kafka);
        Console.WriteLine($"readings' producer linger.ms={clients.ProducerConfig("x").LingerMs}, scorer fetch.wait.max.ms={scorerFetchWaitMs}, alert collector fetch.wait.max.ms={LatencyRun.CollectorFetchWaitMs}");
        var input = clients.Topic(Topics.IiotTelemetry);

        var bundle = IiotBenchModel.Train(20_000, seed: 1);
        var version = DateTimeOffset.UtcNow.ToUnixTimeSeconds() * 10;
        await ProcessingBenchmark.PublishModelAsync(clients, IiotBenchModel.Record(bundle, version), ct).ConfigureAwait(false);
        var stream = new ScenarioWorld(ScenarioLoader.Default, seed).Stream(ProducerDomains.Iiot).GetEnumerator();
        if (!await ProcessingBenchmark.PrefillAsync(clients, ProcessingBenchmark.Take(stream, events).ToList(), ct).ConfigureAwait(false))
        {
            return 1;
        }
        Console.WriteLine($"model v{version} (threshold {bundle.Threshold:G5}); pre-filled {events:N0} readings");

        var port = FreePort();
        using var scorer = StartScorer(pipeline, scorerCpu, broker.BootstrapServers, port, scorerFetchWaitMs);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var metrics = new ScorerMetrics(http, port);
        try
        {
            // Maximum rate: the child drains the backlog; its clock starts once a quarter is done, so that the start-up
            // (group join, model load, JIT warm-up) is not billed to it.
            await ProcessingBenchmark.UntilAsync(() => scorer.HasExited || metrics.Events() >= events / 4, TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
            var first = metrics.Events();
            var clock = Stopwatch.StartNew();
            var cpu = scorer.TotalProcessorTime;
            await ProcessingBenchmark.UntilAsync(() => scorer.HasExited || metrics.Events() >= events, TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
            var maxRate = (metrics.Events() - first) / clock.Elapsed.TotalSeconds;
            var busy = (scorer.TotalProcessorTime - cpu).TotalSeconds / clock.Elapsed.TotalSeconds;
            Console.WriteLine($"scorer drained the last three quarters of the backlog at {maxRate:N0} events/s ({busy:P0} of its CPU)");
            if (busy < 0.7)
            {
                Console.WriteLine("  the scorer waited for input for much of the drain: this rate is what the broker side delivered, not the scorer's maximum; compare `processing` and pass --rate");
            }

            var rate = rateOverride > 0 ? rateOverride : Math.Round(maxRate / 2);
            var perRun = (int)(rate * seconds);
            var messages = ProcessingBenchmark.Take(stream, 2 * perRun).ToList();
            var latency = new LatencyRun(clients, input, clients.Topic(Topics.Alerts));
            Console.WriteLine($"latency: {rate:N0} events/s ({(rateOverride > 0 ? "--rate" : "half the scorer's drain rate")}) for {seconds} s per run");

            async Task MeasureAsync(string title, List<SimulatedMessage> runMessages, long runVersion)
            {
                var before = metrics.Events();
                var cpuBefore = scorer.TotalProcessorTime;
                var runClock = Stopwatch.StartNew();
                var gc = ProcessingBenchmark.GcNow();
                var result = await latency.RunAsync(runMessages, rate, TimeSpan.FromSeconds(seconds), runVersion,
                    produced => metrics.Events() >= before + produced, ct).ConfigureAwait(false);
                ProcessingBenchmark.Print(title, result);
                var own = ProcessingBenchmark.GcNow() - gc;
                Console.WriteLine($"    scorer CPU during the run: {(scorer.TotalProcessorTime - cpuBefore).TotalSeconds / runClock.Elapsed.TotalSeconds:P0} of its core; " +
                    $"load generator's own GCs: gen0 {own.Gen0}, gen1 {own.Gen1}, gen2 {own.Gen2}, {own.Pause.TotalMilliseconds:F0} ms paused");
            }

            // Run 1: the calibrated threshold, as in production. Run 2: swapped (through fl.global-model) to a threshold
            // below every score, so every event alerts.
            await MeasureAsync($"calibrated threshold {bundle.Threshold:G5} (v{version}): alerting events only", messages.GetRange(0, perRun), version).ConfigureAwait(false);
            await ProcessingBenchmark.PublishModelAsync(clients, IiotBenchModel.Record(bundle, version + 1, threshold: -1e9), ct).ConfigureAwait(false);
            await ProcessingBenchmark.UntilAsync(() => scorer.HasExited || metrics.ModelVersion() == version + 1, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            await MeasureAsync($"threshold below every score (v{version + 1}): every event alerts", messages.GetRange(perRun, messages.Count - perRun), version + 1).ConfigureAwait(false);
            if (scorer.HasExited)
            {
                Console.Error.WriteLine($"the scorer exited early with code {scorer.ExitCode}");
                return 1;
            }
            Console.WriteLine($"load average at the end: {ProcessingBenchmark.LoadAverage()}");
            return 0;
        }
        finally
        {
            if (!scorer.HasExited)
            {
                scorer.Kill(entireProcessTree: true);
                await scorer.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static Process StartScorer(string pipeline, int cpu, string bootstrap, int metricsPort, int fetchWaitMs)
    {
        var start = new ProcessStartInfo("taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-c", cpu.ToString(CultureInfo.InvariantCulture), pipeline, "process", "scoring", "--stream", "iiot",
            "--bootstrap-servers", bootstrap, "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture),
            // As `pipeline up` does for its children on the embedded broker (docs/configuration.md).
            "--set", $"Kafka:Consumer:FetchWaitMaxMs={fetchWaitMs.ToString(CultureInfo.InvariantCulture)}",
        })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start taskset");
        // Drain the child's output so that it never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"[scorer] {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindPipeline()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
        {
            dir = dir.Parent;
        }
        var candidate = dir is null ? null : Path.Combine(dir.FullName, "cli", "Pipeline.Cli", "bin", "Release", "net10.0", "pipeline");
        return candidate is not null && File.Exists(candidate) ? candidate : null;
    }

    /// <summary>Reads the scorer's counters from its Prometheus text endpoint.</summary>
    private sealed class ScorerMetrics(HttpClient http, int port)
    {
        public long Events() => (long)Sum("pipeline_processing_processing_events");

        public long ModelVersion() => (long)Sum("pipeline_processing_processing_model_version");

        private double Sum(string name)
        {
            string text;
            try
            {
                text = http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")).GetAwaiter().GetResult();
            }
            catch (HttpRequestException)
            {
                return 0; // not serving yet
            }
            var sum = 0.0;
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' ')
                {
                    sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                }
            }
            return sum;
        }
    }
}
