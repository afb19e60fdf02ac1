using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Platform.Kafka;
using Pipeline.Processing;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Scoring;
using Pipeline.Producers.Publishing;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Processing;

/// <summary>
/// Issue #5's benchmark. One run, one broker, one pre-filled iiot.telemetry topic:
/// (a) a plain consume-only loop (raw, and with Avro decode) and (b) one real
/// <see cref="ScoringProcessor"/> (BatchConsumerLoop, NED global model followed on fl.global-model)
/// each drain the same N readings in fresh consumer groups, repeated and interleaved; the ratio of
/// the median rates is the figure. (c) a scorer that has drained the backlog then receives readings
/// at half the median scoring rate; produce → alert latency is measured with the calibrated
/// threshold (alerting events only) and, after a model swap to a threshold below every score,
/// for every event. Launch under <c>taskset -c 0</c> for the one-core figure. Prints figures; never
/// passes or fails.
/// </summary>
public static class ProcessingBenchmark
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var events = Arg(args, "--events", 200_000);
        var repeats = Arg(args, "--repeats", 3);
        var latencySeconds = Arg(args, "--latency-seconds", 10);
        var rateOverride = Arg(args, "--rate", 0);
        var batchSize = Arg(args, "--batch-size", new ProcessingOptions().BatchSize);
        var batchTimeoutMs = Arg(args, "--batch-timeout-ms", new ProcessingOptions().BatchTimeoutMs);
        var batchLingerMs = Arg(args, "--batch-linger-ms", new ProcessingOptions().BatchLingerMs);
        var maxBatchesInFlight = Arg(args, "--max-batches-in-flight", new ProcessingOptions().MaxBatchesInFlight);
        var fetchWaitMs = Arg(args, "--fetch-wait-ms", -1);
        var lingerMs = Arg(args, "--linger-ms", -1);
        var fetchQueueBackoffMs = Arg(args, "--fetch-queue-backoff-ms", -1);
        var seed = Arg(args, "--seed", 42);
        var bootstrap = StringArg(args, "--bootstrap-servers");
        var massBalance = args.Contains("--mass-balance");
        using var jit = args.Contains("--jit-tiers") ? new JitTierListener() : null;
        using var tail = args.Contains("--tail-report") ? new TailTimeline() : null;

        Console.WriteLine($"processing benchmark: {Environment.ProcessorCount} logical core(s) visible to the process " +
            $"{(OperatingSystem.IsLinux() || OperatingSystem.IsWindows() ? $"load average {LoadAverage()}, affinity mask 0x{(long)Process.GetCurrentProcess().ProcessorAffinity:X}" : "")}, .NET {Environment.Version}, {(bootstrap is null ? "embedded broker in-process" : "broker " + bootstrap)}");

        Console.WriteLine($"JIT: {JitSettings()}");

        var kafka = new KafkaOptions { BootstrapServers = bootstrap };
        if (fetchWaitMs >= 0)
        {
            kafka.Consumer.FetchWaitMaxMs = fetchWaitMs;
        }
        if (lingerMs >= 0)
        {
            kafka.Producer.LingerMs = lingerMs;
        }
        if (fetchQueueBackoffMs >= 0)
        {
            kafka.Consumer.FetchQueueBackoffMs = fetchQueueBackoffMs;
        }
        using var broker = bootstrap is null ? EmbeddedKafkaBroker.Start(1, Topics.All) : null;
        var clients = new KafkaClientFactory(bootstrap ?? broker!.BootstrapServers, kafka);
        var input = clients.Topic(Topics.IiotTelemetry);
        var processing = new ProcessingOptions { BatchSize = batchSize, BatchTimeoutMs = batchTimeoutMs, BatchLingerMs = batchLingerMs, MaxBatchesInFlight = maxBatchesInFlight, SummaryIntervalSeconds = 0 };
        var fetchWait = kafka.Consumer.FetchWaitMaxMs?.ToString(CultureInfo.InvariantCulture);
        Console.WriteLine($"settings: Processing:BatchSize={processing.BatchSize} BatchTimeoutMs={processing.BatchTimeoutMs} BatchLingerMs={processing.BatchLingerMs} MaxBatchesInFlight={processing.MaxBatchesInFlight}; scorer consumer fetch.wait.max.ms=" +
            (fetchWait ?? (kafka.UsesEmbeddedBroker ? $"{BatchConsumerLoop.EmbeddedFetchWaitMs} (embedded-broker default)" : "500 (librdkafka default)")) +
            $", alert producer linger.ms={kafka.Producer.LingerMs?.ToString(CultureInfo.InvariantCulture) ?? "0 (loop default)"}; " +
            $"baseline consumers fetch.wait.max.ms={fetchWait ?? "500 (librdkafka default; never idle while draining)"}; " +
            $"latency producer linger.ms={clients.ProducerConfig("x").LingerMs}, alert collector fetch.wait.max.ms={fetchWait ?? LatencyRun.CollectorFetchWaitMs.ToString(CultureInfo.InvariantCulture)}");

        // The model: trained once, published on fl.global-model like the coordinator does.
        var clock = Stopwatch.StartNew();
        // The mass balance fits a unit from 100 full windows of 140 level readings: 20,000 readings give each of the
        // default scenario's 24 units about 170 level readings, so it trains on 120,000.
        var trainingReadings = massBalance ? 120_000 : 20_000;
        var bundle = IiotBenchModel.Train(trainingReadings, seed: 1, massBalance);
        var version = DateTimeOffset.UtcNow.ToUnixTimeSeconds() * 10; // above any earlier run's on a shared broker
        await PublishModelAsync(clients, IiotBenchModel.Record(bundle, version), ct).ConfigureAwait(false);
        Console.WriteLine($"model: {IiotBenchModel.ModelName} v{version}, NED on {trainingReadings:N0} readings (seed 1), threshold {bundle.Threshold:G5}, " +
            (bundle.Balance is { } balance ? $"mass balance of {balance.Units} units, " : "") + $"trained in {clock.Elapsed.TotalSeconds:F1} s");

        // Pre-fill: N readings of the default scenario plus the readings the latency runs will send.
        var latencyRate = 0.0;
        var world = new ScenarioWorld(ScenarioLoader.Default, seed);
        var stream = world.Stream(ProducerDomains.Iiot).GetEnumerator();
        clock.Restart();
        var prefill = Take(stream, events).ToList();
        if (!await PrefillAsync(clients, prefill, ct).ConfigureAwait(false))
        {
            return 1;
        }
        var backlog = TopicSize(clients, input);
        Console.WriteLine($"pre-fill: {events:N0} iiot.telemetry readings (default scenario, seed {seed}) in {clock.Elapsed.TotalSeconds:F1} s; topic holds {backlog:N0} records");

        // The logic alone (no Kafka), for the CPU cost of decode → featurize → score → alerts.
        var scoringModel = ScoringModelDecoder.Decode(IiotBenchModel.Record(bundle, version));
        var everyModel = ScoringModelDecoder.Decode(IiotBenchModel.Record(bundle, version, threshold: -1e9));
        LogicProfile.Run(prefill, input, clients.Topic(Topics.Alerts), everyModel, batchSize); // warm-up: tiered JIT would otherwise bill the first pass
        Console.WriteLine();
        Console.WriteLine("scoring logic alone (ScoringBatchProcessor, no Kafka, this thread), microseconds per event");
        Console.WriteLine($"{"threshold",-11} {"CPU",7} {"wall",7} {"alerts",8}  " + string.Join(" ", LogicStages.Select(s => $"{s,7}")) + "  (stage columns: wall)");
        foreach (var (name, model) in new[] { ("calibrated", scoringModel), ("every", everyModel) })
        {
            var l = LogicProfile.Run(prefill, input, clients.Topic(Topics.Alerts), model, batchSize);
            Console.WriteLine($"{name,-11} {l.CpuMicrosPerEvent,7:F2} {l.WallMicrosPerEvent,7:F2} {l.Alerts,8:N0}  " +
                string.Join(" ", LogicStages.Select(s => $"{(l.Stages.TryGetValue(s, out var t) ? t.TotalMicroseconds / prefill.Count : 0),7:F2}")));
        }

        jit?.Print("after the logic-alone passes");

        Console.WriteLine();
        Console.WriteLine($"throughput: each pass drains all {backlog:N0} records in a fresh consumer group (wall events/s; events per CPU-second of the whole process)");
        Console.WriteLine($"{"pass",-6} {"consume-only",13} {"/CPU-s",9} {"+decode",9} {"/CPU-s",9} {"scoring",9} {"/CPU-s",9} {"alerts",7}");
        List<double> raw = [], decoded = [], scored = [], rawCpu = [], decodedCpu = [], scoredCpu = [];
        List<string> stageLines = [], gcLines = [];
        for (var r = 1; r <= repeats; r++)
        {
            ct.ThrowIfCancellationRequested();
            var (rawRate, rawCpuSeconds, rawGc) = await MeasuredAsync(() => ConsumeOnlyLoop.RunAsync(clients, input, backlog, decode: false, ct)).ConfigureAwait(false);
            raw.Add(rawRate);
            rawCpu.Add(backlog / rawCpuSeconds);
            var (decodedRate, decodedCpuSeconds, decodedGc) = await MeasuredAsync(() => ConsumeOnlyLoop.RunAsync(clients, input, backlog, decode: true, ct)).ConfigureAwait(false);
            decoded.Add(decodedRate);
            decodedCpu.Add(backlog / decodedCpuSeconds);
            var ((rate, alerts, stages, batches), scoredCpuSeconds, gc) = await MeasuredAsync(() => ScoreAsync(clients, processing, backlog, ct)).ConfigureAwait(false);
            scored.Add(rate);
            scoredCpu.Add(backlog / scoredCpuSeconds);
            Console.WriteLine($"{r,-6} {raw[^1],13:N0} {rawCpu[^1],9:N0} {decoded[^1],9:N0} {decodedCpu[^1],9:N0} {rate,9:N0} {scoredCpu[^1],9:N0} {alerts,7:N0}");
            gcLines.Add($"{r,-6} " + string.Join(" ", new[] { rawGc, decodedGc, gc }.Select(g => $"{g.Gen0,6} {g.Pause.TotalMilliseconds,9:F1} {g.Allocated / (double)backlog,9:F0}")));
            stageLines.Add($"{r,-6} " + string.Join(" ", Stages.Select(s => $"{(stages.TryGetValue(s, out var t) ? t.TotalMicroseconds / backlog : 0),8:F2}")) + $" {batches,8:N0}" +
                $" {gc.Gen0,5} {gc.Gen1,5} {gc.Gen2,5}");
        }
        var maxRate = Median(scored);
        Console.WriteLine($"{"median",-6} {Median(raw),13:N0} {Median(rawCpu),9:N0} {Median(decoded),9:N0} {Median(decodedCpu),9:N0} {maxRate,9:N0} {Median(scoredCpu),9:N0}");
        Console.WriteLine($"ratio scoring / consume-only:   wall {maxRate / Median(raw):F3}, per CPU-second {Median(scoredCpu) / Median(rawCpu):F3}   (goal >= 0.6)");
        Console.WriteLine($"ratio scoring / consume+decode: wall {maxRate / Median(decoded):F3}, per CPU-second {Median(scoredCpu) / Median(decodedCpu):F3}");
        Console.WriteLine();
        Console.WriteLine("scoring passes by stage, wall microseconds per event (process = decode + score + alerts + the rest of the logic)");
        Console.WriteLine($"{"pass",-6} " + string.Join(" ", Stages.Select(s => $"{s,8}")) + $" {"batches",8} {"gen0",5} {"gen1",5} {"gen2",5}   (gen0-2: garbage collections during the pass)");
        stageLines.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine("garbage collection per pass: gen0 collections, total GC pause (ms), bytes allocated per event (whole process)");
        Console.WriteLine($"{"pass",-6} {"consume-only",26} {"+decode",26} {"scoring",26}");
        gcLines.ForEach(Console.WriteLine);
        jit?.Print("after the throughput passes");

        if (latencySeconds <= 0)
        {
            return 0;
        }
        latencyRate = rateOverride > 0 ? rateOverride : Math.Round(maxRate / 2);
        var perRun = (int)(latencyRate * latencySeconds);
        var latencyMessages = Take(stream, 2 * perRun).ToList();
        Console.WriteLine();
        Console.WriteLine($"latency: one scorer drains the backlog, then receives {latencyRate:N0} events/s ({(rateOverride > 0 ? "--rate" : "half the median scoring rate")}) for {latencySeconds} s per run");
        await MeasureLatencyAsync(clients, processing, bundle, version, backlog, latencyMessages, latencyRate, TimeSpan.FromSeconds(latencySeconds), tail, ct).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine($"load average at the end: {LoadAverage()} (other work on the machine shares the core: wall figures include it, CPU figures do not)");
        return 0;
    }

    private static readonly string[] LogicStages = [ProcessingStages.Decode, ProcessingStages.Score, ProcessingStages.Alerts];

    /// <summary>Produces <paramref name="messages"/> to their topics (acks=all); false, with the first error printed, if
    /// any delivery failed.</summary>
    internal static async Task<bool> PrefillAsync(KafkaClientFactory clients, List<SimulatedMessage> messages, CancellationToken ct)
    {
        using var producer = clients.CreateProducer("bench-processing-prefill");
        var progress = await new KafkaPublisher(producer, clients.Options.TopicPrefix)
            .PublishAsync(messages, new PublishLimits { Count = messages.Count }, null, ct).ConfigureAwait(false);
        if (progress.Failed > 0)
        {
            Console.Error.WriteLine($"pre-fill: {progress.Failed} deliveries failed: {progress.FirstError}");
        }
        return progress.Failed == 0;
    }

    private static double CpuNow() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>Runs one pass; returns its result, the CPU seconds of the whole process and its garbage collections.</summary>
    private static async Task<(T Result, double CpuSeconds, GcTotals Gc)> MeasuredAsync<T>(Func<Task<T>> pass)
    {
        var cpu = CpuNow();
        var gc = GcNow();
        var result = await pass().ConfigureAwait(false);
        return (result, CpuNow() - cpu, GcNow() - gc);
    }

    /// <summary>This process's garbage collections so far (subtract two readings for a span).</summary>
    internal static GcTotals GcNow() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    internal readonly record struct GcTotals(int Gen0, int Gen1, int Gen2, TimeSpan Pause, long Allocated)
    {
        public static GcTotals operator -(GcTotals a, GcTotals b) =>
            new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Pause - b.Pause, a.Allocated - b.Allocated);
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    private static readonly string[] Stages =
    [
        ProcessingStages.Consume, ProcessingStages.Process, ProcessingStages.Decode, ProcessingStages.Score, ProcessingStages.Alerts,
        ProcessingStages.Deliver, ProcessingStages.Commit,
    ];

    private static async Task<(double Rate, long Alerts, IReadOnlyDictionary<string, TimeSpan> Stages, long Batches)> ScoreAsync(KafkaClientFactory clients, ProcessingOptions processing, long target, CancellationToken ct)
    {
        var options = Copy(processing, $"bench-scoring-{Guid.NewGuid():N}");
        using var progress = new ScoredEventsClock(target);
        using var processor = new ScoringProcessor(clients, "iiot", options, new ScoringOptions(), NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = processor.RunAsync(stop.Token);
        await Task.WhenAny(progress.Reached, run).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
        return (progress.Rate, processor.Metrics.Alerts, processor.Metrics.StageTotals, processor.Metrics.Batches);
    }

    private static async Task MeasureLatencyAsync(
        KafkaClientFactory clients, ProcessingOptions processing, ModelBundle bundle, long version, long backlog,
        List<SimulatedMessage> messages, double rate, TimeSpan duration, TailTimeline? tail, CancellationToken ct)
    {
        var options = Copy(processing, $"bench-latency-{Guid.NewGuid():N}");
        using var processor = new ScoringProcessor(clients, "iiot", options, new ScoringOptions(), NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = processor.RunAsync(stop.Token);
        try
        {
            await UntilAsync(() => processor.Metrics.Events >= backlog, TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
            var input = clients.Topic(Topics.IiotTelemetry);
            var latency = new LatencyRun(clients, input, clients.Topic(Topics.Alerts));
            var half = messages.Count / 2;

            // Run 1: the calibrated threshold, as in production: only the events that alert have a produce → alert time.
            var before = processor.Metrics.Events;
            tail?.Clear();
            var calibrated = await latency.RunAsync(messages.GetRange(0, half), rate, duration, version,
                produced => processor.Metrics.Events >= before + produced, ct).ConfigureAwait(false);
            Print($"calibrated threshold {bundle.Threshold:G5} (v{version}): alerting events only", calibrated);
            tail?.Report(calibrated.Samples, processing.BatchSize);

            // Run 2: swap (through fl.global-model, as in production) to a threshold below every score,
            // so every event yields an alert and every event has a produce → alert time.
            await PublishModelAsync(clients, IiotBenchModel.Record(bundle, version + 1, threshold: -1e9), ct).ConfigureAwait(false);
            await UntilAsync(() => processor.Models.VersionOf(Topics.IiotTelemetry) == version + 1, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            before = processor.Metrics.Events;
            tail?.Clear();
            var every = await latency.RunAsync(messages.GetRange(half, messages.Count - half), rate, duration, version + 1,
                produced => processor.Metrics.Events >= before + produced, ct).ConfigureAwait(false);
            Print($"threshold below every score (v{version + 1}): every event alerts", every);
            tail?.Report(every.Samples, processing.BatchSize);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
        }
    }

    internal static void Print(string title, LatencyRun.Result r)
    {
        Console.WriteLine($"  {title}: {r.Produced:N0} produced at {r.AchievedRate:N0}/s, {r.Alerted:N0} alerts joined (readings of the first {LatencyRun.WarmUp.TotalSeconds:F1} s are warm-up)" +
            (r.QueueFull > 0 ? $"; the readings' producer found its queue full {r.QueueFull:N0} times (the broker side fell behind)" : ""));
        Console.WriteLine($"    produce -> alert arrival    {LatencyRun.Describe(r.ProduceToAlert)}   (goal p99 <= 25 ms)");
        Console.WriteLine($"    produce -> detection time   {LatencyRun.Describe(r.ProduceToDetection)}   (wall clock, ms resolution)");
        Console.WriteLine($"    detection -> alert arrival  {LatencyRun.Describe(r.DetectionToArrival)}");
        Console.WriteLine($"    produce -> delivery report  {LatencyRun.Describe(r.ProduceToAck)}   (readings' producer; joined events)");
        Console.WriteLine($"    produce -> detection, {r.TailSplit()}");
    }

    private static ProcessingOptions Copy(ProcessingOptions p, string group) => new()
    {
        Guarantee = p.Guarantee,
        BatchSize = p.BatchSize,
        BatchTimeoutMs = p.BatchTimeoutMs,
        BatchLingerMs = p.BatchLingerMs,
        MaxBatchesInFlight = p.MaxBatchesInFlight,
        GroupId = group,
        SummaryIntervalSeconds = 0,
        RetryBackoffMs = p.RetryBackoffMs,
    };

    internal static async Task PublishModelAsync(KafkaClientFactory clients, GlobalModel model, CancellationToken ct)
    {
        using var producer = clients.CreateProducer("bench-processing-model");
        await producer.ProduceAsync(clients.Topic(Topics.FlGlobalModel),
            new Confluent.Kafka.Message<string?, byte[]> { Key = model.ModelName, Value = AvroSingleObject.Encode(model) }, ct).ConfigureAwait(false);
    }

    /// <summary>Records the topic holds now: high minus low watermark over its partitions (the embedded broker keeps a
    /// bounded log, so the oldest may be gone).</summary>
    internal static long TopicSize(KafkaClientFactory clients, string topic)
    {
        var group = $"bench-size-{Guid.NewGuid():N}";
        using var consumer = clients.CreateConsumer(group, group);
        using var admin = new Confluent.Kafka.DependentAdminClientBuilder(consumer.Handle).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions;
        return partitions.Sum(p =>
        {
            var w = consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition(topic, p.PartitionId), TimeSpan.FromSeconds(10));
            return w.High.Value - w.Low.Value;
        });
    }

    internal static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"benchmark condition not reached within {timeout.TotalSeconds:F0} s");
            }
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
    }

    internal static IEnumerable<SimulatedMessage> Take(IEnumerator<SimulatedMessage> stream, int count)
    {
        for (var i = 0; i < count && stream.MoveNext(); i++)
        {
            yield return stream.Current;
        }
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // The tiered-compilation settings in effect: runtimeconfig properties (the project files) and DOTNET_ variables,
    // which take precedence over them.
    private static string JitSettings()
    {
        var properties = new[] { "System.Runtime.TieredCompilation", "System.Runtime.TieredCompilation.QuickJit", "System.Runtime.TieredCompilation.QuickJitForLoops", "System.Runtime.TieredPGO" }
            .Select(p => (Name: p, Value: AppContext.GetData(p)))
            .Where(p => p.Value is not null)
            .Select(p => $"{p.Name["System.Runtime.".Length..]}={p.Value}");
        var variables = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("DOTNET_Tiered", StringComparison.Ordinal) || k.StartsWith("DOTNET_TC_", StringComparison.Ordinal) || k.StartsWith("DOTNET_OSR", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}");
        var all = properties.Concat(variables).ToList();
        return all.Count == 0 ? "runtime defaults" : string.Join(", ", all) + " (DOTNET_ variables override the runtimeconfig properties)";
    }

    internal static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    internal static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
