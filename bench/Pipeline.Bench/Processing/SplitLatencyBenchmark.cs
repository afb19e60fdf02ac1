using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Platform;
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
/// measured against a consume-only child on the same core: each drains a pre-filled backlog once cold, then in each of
/// <c>--rounds</c> rounds both are frozen while as many readings again are produced and each drains them warm in turn
/// (the embedded broker keeps a bounded log, so a backlog stays at the default 200,000); the scorer's progress comes from
/// its committed offsets, not its Prometheus endpoint, whose scrapes cost its core several milliseconds each. Then readings are
/// produced at half that rate and produce → alert is measured as in <c>processing</c> (calibrated threshold, then
/// every event alerting after a model swap through fl.global-model). Then the control (<c>--control-every N</c>, 25 by
/// default, 0 = none): a <see cref="ForwarderChild"/> on the same core, which forwards every N-th record as an alert
/// and does nothing else, measured the same way at the same rate, so the scorer's figures can be read against what the
/// broker, the clients and the machine cost on their own. <c>--bootstrap-servers HOST:PORT</c> runs all of it against a
/// real cluster instead of the embedded broker (catalogue topics of this run under a fresh prefix, or
/// <c>--topic-prefix P</c>). Prints figures; never passes or fails.
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
        var bootstrap = ProcessingBenchmark.StringArg(args, "--bootstrap-servers");
        // On the embedded broker the children get the fetch wait `pipeline up` gives its children there; a real broker
        // answers a fetch as soon as data arrives, so librdkafka's default stays unless --fetch-wait-ms is given.
        var fetchWaitArg = ProcessingBenchmark.Arg(args, "--fetch-wait-ms", -1);
        int? scorerFetchWaitMs = fetchWaitArg >= 0 ? fetchWaitArg
            : bootstrap is null ? Pipeline.Processing.Engine.BatchConsumerLoop.EmbeddedFetchWaitMs : null;
        var controlEvery = ProcessingBenchmark.Arg(args, "--control-every", 25);
        var rounds = Math.Max(1, ProcessingBenchmark.Arg(args, "--rounds", 5));
        // NAME=VALUE pairs for the scorer's environment, e.g. runtime settings such as DOTNET_GCgen0size.
        var scorerEnvironment = args.Select((a, i) => (a, i)).Where(p => p.a == "--scorer-env" && p.i + 1 < args.Length)
            .Select(p => args[p.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
        if (pipeline is null || !File.Exists(pipeline))
        {
            Console.Error.WriteLine("processing-latency: the pipeline CLI was not found; build cli/Pipeline.Cli -c Release or pass --pipeline PATH");
            return 2;
        }

        Console.WriteLine($"processing-latency: this process (broker, producer, collector) on affinity mask 0x{(long)Process.GetCurrentProcess().ProcessorAffinity:X}; " +
            $"scorer = `{pipeline} process scoring --stream iiot` on CPU {scorerCpu}; load average {ProcessingBenchmark.LoadAverage()}");
        // On a real cluster every run gets catalogue topics of its own under a fresh prefix, so that the drains (fresh
        // consumer groups reading from the start) see only this run's records.
        // --topic-prefix P overrides that (e.g. "" for a `pipeline broker`, which refuses the admin API and serves the
        // unprefixed catalogue it created).
        var prefix = ProcessingBenchmark.StringArg(args, "--topic-prefix") ?? (bootstrap is null ? "" : $"bench-{Guid.NewGuid():N}"[..14] + ".");
        var kafka = new KafkaOptions { BootstrapServers = bootstrap, TopicPrefix = prefix };
        if (lingerMs >= 0)
        {
            kafka.Producer.LingerMs = lingerMs;
        }
        using var environment = await KafkaEnvironment.StartAsync(kafka, NullLogger.Instance, ct).ConfigureAwait(false);
        var clients = environment.Clients;
        var child = new ChildKafka(clients.BootstrapServers, kafka.TopicPrefix, scorerFetchWaitMs);
        Console.WriteLine($"broker: {(bootstrap is null ? "embedded, in this process" : $"{bootstrap}, topics under the prefix '{kafka.TopicPrefix}' (delete them afterwards)")}; " +
            $"readings' producer linger.ms={clients.ProducerConfig("x").LingerMs}, scorer fetch.wait.max.ms={scorerFetchWaitMs?.ToString(CultureInfo.InvariantCulture) ?? "librdkafka's default"}, " +
            $"alert collector fetch.wait.max.ms={LatencyRun.CollectorFetchWaitMs}");
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

        // Throughput on the scorer's core, the broker elsewhere: the scorer and a consume-only child each drain the
        // backlog (in groups of their own) while the other is frozen (SIGSTOP), once cold (group join, model load, tiered
        // JIT); then, in each of --rounds rounds, as many records again are produced while both are frozen, and each
        // drains them warm in turn. A round's ratio of the two warm rates is issue #5's throughput figure without the
        // broker, the producer and the collector on the measured core; rounds pair the two under the same machine
        // conditions, and the median of the rounds is reported. The scorer's progress is read from its committed offsets
        // (a broker request on this process's core), not from its /metrics endpoint: a scrape costs the scorer's core
        // several milliseconds.
        var scorerGroup = $"bench-scorer-{Guid.NewGuid():N}";
        using var committed = new CommittedRecords(clients, scorerGroup, input);
        var port = LoopbackPorts.Free();
        if (scorerEnvironment.Count > 0)
        {
            Console.WriteLine($"scorer environment: {string.Join(" ", scorerEnvironment.Select(kv => $"{kv.Key}={kv.Value}"))}");
        }
        using var scorer = StartScorer(pipeline, scorerCpu, child, port, scorerGroup, scorerEnvironment);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var metrics = new ScorerMetrics(http, port);
        Process? forwarder = null;
        var consumed = new StrongBox<long>();
        Process? consumeOnly = null;
        try
        {
            // Both children start at the topic's start and drain everything there is, so one count serves them both.
            var drained = committed.Available();
            var scorerCold = await DrainAsync("scorer, cold", scorer, committed.Count, 0, drained, ct).ConfigureAwait(false);
            Signal(scorer, SigStop);
            consumeOnly = StartForwarder(scorerCpu, child, every: 0, version: 0, consumed);
            long Consumed() => Volatile.Read(ref consumed.Value);
            var consumerCold = await DrainAsync("consume-only child, cold", consumeOnly, Consumed, 0, drained, ct).ConfigureAwait(false);
            Signal(consumeOnly, SigStop);
            Console.WriteLine($"  cold ratio scorer / consume-only: {scorerCold.Rate / consumerCold.Rate:F2} wall, {scorerCold.PerCpuSecond / consumerCold.PerCpuSecond:F2} per CPU-second");
            List<double> wallRatios = [], cpuRatios = [], scorerRates = [];
            for (var round = 1; round <= rounds; round++)
            {
                var more = ProcessingBenchmark.Take(stream, events).ToList();
                var refill = Stopwatch.StartNew();
                if (!await ProcessingBenchmark.PrefillAsync(clients, more, ct).ConfigureAwait(false))
                {
                    return 1;
                }
                Console.WriteLine($"round {round}: {more.Count:N0} more readings produced in {refill.Elapsed.TotalSeconds:F1} s while both children were frozen");
                var consumerWarm = await ResumedDrainAsync("  consume-only child, warm", consumeOnly, Consumed, drained, drained + more.Count, ct).ConfigureAwait(false);
                var scorerWarm = await ResumedDrainAsync("  scorer, warm", scorer, committed.Count, drained, drained + more.Count, ct).ConfigureAwait(false);
                drained += more.Count;
                wallRatios.Add(scorerWarm.Rate / consumerWarm.Rate);
                cpuRatios.Add(scorerWarm.PerCpuSecond / consumerWarm.PerCpuSecond);
                scorerRates.Add(scorerWarm.Rate);
                Console.WriteLine($"  ratio {wallRatios[^1]:F2} wall, {cpuRatios[^1]:F2} per CPU-second");
            }
            await StopAsync(consumeOnly).ConfigureAwait(false);
            Signal(scorer, SigCont);
            Console.WriteLine($"ratio scorer / consume-only, warm, each alone on CPU {scorerCpu} (goal >= 0.6), median of {rounds} rounds: " +
                $"{ProcessingBenchmark.Median(wallRatios):F2} wall (range {wallRatios.Min():F2}–{wallRatios.Max():F2}), " +
                $"{ProcessingBenchmark.Median(cpuRatios):F2} per CPU-second (range {cpuRatios.Min():F2}–{cpuRatios.Max():F2})");
            var maxRate = ProcessingBenchmark.Median(scorerRates);
            if (seconds <= 0)
            {
                return 0; // --latency-seconds 0: the throughput ratio only
            }
            var rate = rateOverride > 0 ? rateOverride : Math.Round(maxRate / 2);
            var perRun = (int)(rate * seconds);
            var messages = ProcessingBenchmark.Take(stream, 2 * perRun).ToList();
            var latency = new LatencyRun(clients, input, clients.Topic(Topics.Alerts));
            Console.WriteLine($"latency: {rate:N0} events/s ({(rateOverride > 0 ? "--rate" : "half the scorer's drain rate")}) for {seconds} s per run");

            async Task MeasureAsync(string title, Process measured, Func<long> processed, List<SimulatedMessage> runMessages, long runVersion, ScorerMetrics? stages = null)
            {
                var stagesBefore = stages?.Snapshot();
                var before = processed();
                var cpuBefore = measured.TotalProcessorTime;
                var runClock = Stopwatch.StartNew();
                var gc = ProcessingBenchmark.GcNow();
                var result = await latency.RunAsync(runMessages, rate, TimeSpan.FromSeconds(seconds), runVersion,
                    produced => processed() >= before + produced, ct).ConfigureAwait(false);
                ProcessingBenchmark.Print(title, result);
                var own = ProcessingBenchmark.GcNow() - gc;
                Console.WriteLine($"    child CPU during the run: {(measured.TotalProcessorTime - cpuBefore).TotalSeconds / runClock.Elapsed.TotalSeconds:P0} of its core; " +
                    $"load generator's own GCs: gen0 {own.Gen0}, gen1 {own.Gen1}, gen2 {own.Gen2}, {own.Pause.TotalMilliseconds:F0} ms paused");
                if (stages is not null && stagesBefore is not null)
                {
                    Console.WriteLine($"    scorer's loop stages during the run: {ScorerMetrics.Describe(stagesBefore, stages.Snapshot())}");
                }
            }

            // Run 1: the calibrated threshold, as in production. Run 2: swapped (through fl.global-model) to a threshold
            // below every score, so every event alerts.
            await MeasureAsync($"scorer, calibrated threshold {bundle.Threshold:G5} (v{version}): alerting events only", scorer, metrics.Events, messages.GetRange(0, perRun), version, metrics).ConfigureAwait(false);
            await ProcessingBenchmark.PublishModelAsync(clients, IiotBenchModel.Record(bundle, version + 1, threshold: -1e9), ct).ConfigureAwait(false);
            await ProcessingBenchmark.UntilAsync(() => scorer.HasExited || metrics.ModelVersion() == version + 1, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            await MeasureAsync($"scorer, threshold below every score (v{version + 1}): every event alerts", scorer, metrics.Events, messages.GetRange(perRun, messages.Count - perRun), version + 1, metrics).ConfigureAwait(false);
            if (scorer.HasExited)
            {
                Console.Error.WriteLine($"the scorer exited early with code {scorer.ExitCode}");
                return 1;
            }
            await StopAsync(scorer).ConfigureAwait(false);

            if (controlEvery > 0)
            {
                // The control on the same core: it reads the topic from the start (the backlog and both runs), which
                // also measures what the broker side delivers to a consumer that does nothing.
                var read = new StrongBox<long>();
                forwarder = StartForwarder(scorerCpu, child, controlEvery, version + 2, read);
                long Read() => Volatile.Read(ref read.Value);
                _ = await DrainAsync("forwarder", forwarder, Read, 0, ProcessingBenchmark.TopicSize(clients, input), ct).ConfigureAwait(false);
                await MeasureAsync($"control: forwarder, every {controlEvery}th record alerts (v{version + 2})", forwarder, Read,
                    ProcessingBenchmark.Take(stream, perRun).ToList(), version + 2).ConfigureAwait(false);
                if (forwarder.HasExited)
                {
                    Console.Error.WriteLine($"the forwarder exited early with code {forwarder.ExitCode}");
                    return 1;
                }
            }
            Console.WriteLine($"load average at the end: {ProcessingBenchmark.LoadAverage()}");
            return 0;
        }
        finally
        {
            await StopAsync(scorer).ConfigureAwait(false);
            if (consumeOnly is not null)
            {
                await StopAsync(consumeOnly).ConfigureAwait(false);
                consumeOnly.Dispose();
            }
            if (forwarder is not null)
            {
                await StopAsync(forwarder).ConfigureAwait(false);
                forwarder.Dispose();
            }
        }
    }

    /// <summary>Resumes a frozen <paramref name="child"/>, times its drain (<see cref="DrainAsync"/>) and freezes it again.</summary>
    private static async Task<DrainRate> ResumedDrainAsync(string name, Process child, Func<long> position, long from, long to, CancellationToken ct)
    {
        Signal(child, SigCont);
        try
        {
            return await DrainAsync(name, child, position, from, to, ct).ConfigureAwait(false);
        }
        finally
        {
            Signal(child, SigStop);
        }
    }

    /// <summary>Lets <paramref name="child"/> read from <paramref name="from"/> to <paramref name="to"/> records and
    /// returns its rate from the first reading of <paramref name="position"/> past a quarter of them to the last reading
    /// before the end, so that what precedes full speed (group join, model load, JIT warm-up on a cold drain; the first
    /// fetches after a resume) and how late the child reports its last records (the scorer commits its last offsets
    /// once input has paused for its idle poll) are not billed to it. Rate and CPU are taken at readings where the
    /// count changed, which pairs every count with the moment it was seen.</summary>
    private static async Task<DrainRate> DrainAsync(string name, Process child, Func<long> position, long from, long to, CancellationToken ct)
    {
        var quarter = from + (to - from) / 4;
        (long Ticks, long Count, TimeSpan Cpu)? first = null, last = null;
        var previous = -1L;
        var deadline = Stopwatch.StartNew();
        while (!child.HasExited)
        {
            var count = position();
            if (count >= to)
            {
                break;
            }
            if (count != previous && count >= quarter)
            {
                last = (Stopwatch.GetTimestamp(), count, child.TotalProcessorTime);
                first ??= last;
            }
            previous = count;
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException($"{name}: {count:N0} of {to:N0} records after 5 minutes");
            }
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
        if (child.HasExited)
        {
            throw new InvalidOperationException($"{name}: the child exited with code {child.ExitCode} during the drain (its errors are above)");
        }
        if (first is not { } a || last is not { } b || b.Count == a.Count)
        {
            throw new InvalidOperationException($"{name}: too few progress readings between a quarter and the end of the drain to time it");
        }
        var seconds = Stopwatch.GetElapsedTime(a.Ticks, b.Ticks).TotalSeconds;
        var rate = new DrainRate((b.Count - a.Count) / seconds, (b.Cpu - a.Cpu).TotalSeconds / seconds);
        Console.WriteLine($"{name}: drained {to - from:N0} records; timed {b.Count - a.Count:N0} of them at {rate.Rate:N0} events/s ({rate.Busy:P0} of its CPU)");
        if (rate.Busy < 0.7)
        {
            Console.WriteLine($"  the {name} waited for input for much of the drain: this rate is what the broker side delivered, not its maximum");
        }
        return rate;
    }

    private const int SigCont = 18;
    private const int SigStop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static void Signal(Process child, int signal)
    {
        if (!child.HasExited && Kill(child.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({child.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>A drain's rate and how busy the child's core was (CPU seconds per second).</summary>
    private readonly record struct DrainRate(double Rate, double Busy)
    {
        public double PerCpuSecond => Rate / Busy;
    }

    /// <summary>How many records of a topic a consumer group has committed since this was created (the topic's low
    /// watermarks then), read from the broker with a consumer that shares the group id but never joins it.</summary>
    private sealed class CommittedRecords : IDisposable
    {
        private readonly IConsumer<string?, byte[]> _consumer;
        private readonly List<TopicPartition> _partitions;
        private readonly long[] _low;

        public CommittedRecords(KafkaClientFactory clients, string group, string topic)
        {
            _consumer = clients.CreateConsumer(group, "bench-committed-progress");
            using var admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
            _partitions = [.. admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions
                .Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value)];
            _low = [.. _partitions.Select(p => _consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).Low.Value)];
        }

        /// <summary>Records in the topic beyond the low watermarks taken at creation.</summary>
        public long Available() => _partitions.Select((p, i) => _consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value - _low[i]).Sum();

        public long Count()
        {
            var offsets = _consumer.Committed(_partitions, TimeSpan.FromSeconds(10));
            long count = 0;
            foreach (var offset in offsets)
            {
                if (offset.Offset.Value >= 0)
                {
                    count += offset.Offset.Value - _low[_partitions.IndexOf(offset.TopicPartition)];
                }
            }
            return count;
        }

        public void Dispose() => _consumer.Dispose();
    }

    /// <summary>How the children reach the broker: its address, the topic prefix, and the fetch wait to set (null:
    /// librdkafka's default).</summary>
    private sealed record ChildKafka(string Bootstrap, string TopicPrefix, int? FetchWaitMs);

    private static Process StartScorer(string pipeline, int cpu, ChildKafka kafka, int metricsPort, string group, Dictionary<string, string> environment)
    {
        List<string> command =
        [
            pipeline, "process", "scoring", "--stream", "iiot",
            "--bootstrap-servers", kafka.Bootstrap, "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture),
            "--set", $"Kafka:TopicPrefix={kafka.TopicPrefix}", "--set", $"Processing:GroupId={group}",
        ];
        if (kafka.FetchWaitMs is { } wait)
        {
            // As `pipeline up` does for its children on the embedded broker (docs/configuration.md).
            command.AddRange(["--set", $"Kafka:Consumer:FetchWaitMaxMs={wait.ToString(CultureInfo.InvariantCulture)}"]);
        }
        return StartPinned(cpu, "scorer", null, environment, [.. command]);
    }

    /// <summary>This harness as a <see cref="ForwarderChild"/> on <paramref name="cpu"/>; <paramref name="events"/>
    /// follows the records it has read.</summary>
    private static Process StartForwarder(int cpu, ChildKafka kafka, int every, long version, StrongBox<long> events)
    {
        List<string> command =
        [
            Environment.ProcessPath ?? "dotnet", typeof(ForwarderChild).Assembly.Location, ForwarderChild.Mode,
            "--bootstrap-servers", kafka.Bootstrap, "--topic-prefix", kafka.TopicPrefix,
            "--every", every.ToString(CultureInfo.InvariantCulture), "--model-version", version.ToString(CultureInfo.InvariantCulture),
        ];
        if (kafka.FetchWaitMs is { } wait)
        {
            command.AddRange(["--fetch-wait-ms", wait.ToString(CultureInfo.InvariantCulture)]);
        }
        return StartPinned(cpu, "forwarder", line =>
        {
            if (line.StartsWith("events ", StringComparison.Ordinal))
            {
                Volatile.Write(ref events.Value, long.Parse(line.AsSpan(7), CultureInfo.InvariantCulture));
            }
        }, [], [.. command]);
    }

    private static Process StartPinned(int cpu, string tag, Action<string>? onOutput, Dictionary<string, string> environment, string[] command)
    {
        var start = new ProcessStartInfo("taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(cpu.ToString(CultureInfo.InvariantCulture));
        foreach (var arg in command)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start taskset");
        // Drain the child's output so that it never blocks on a full pipe.
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                onOutput?.Invoke(line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"[{tag}] {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task StopAsync(Process child)
    {
        if (!child.HasExited)
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
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
        private const string StageMetric = "pipeline_processing_processing_stage_ms";

        public long Events() => (long)Sum("pipeline_processing_processing_events");

        public long ModelVersion() => (long)Sum("pipeline_processing_processing_model_version");

        /// <summary>The loop's stages and the runtime's collections as counters: per stage the stages ended, their total
        /// milliseconds and how many took longer than 10.24, 20.48 and 40.96 ms (buckets of processing_stage_ms); and
        /// "gen0".."gen2" collections (Count only).</summary>
        public Dictionary<string, StageCounts> Snapshot()
        {
            var counts = new Dictionary<string, StageCounts>();
            foreach (var (name, labels, value) in Lines())
            {
                if (name == "system_runtime_dotnet_gc_collections" && Label(labels, "gc_heap_generation") is { } generation)
                {
                    counts[generation] = new StageCounts(value, 0, 0, 0, 0);
                    continue;
                }
                if (!name.StartsWith(StageMetric, StringComparison.Ordinal) || Label(labels, "stage") is not { } stage)
                {
                    continue;
                }
                var c = counts.GetValueOrDefault(stage);
                counts[stage] = name[StageMetric.Length..] switch
                {
                    "_count" => c with { Count = value, Over10 = c.Over10 + value, Over20 = c.Over20 + value, Over40 = c.Over40 + value },
                    "_sum" => c with { SumMs = value },
                    // Stages longer than a bound = count - cumulative bucket at that bound.
                    "_bucket" when Label(labels, "le") == "10.24" => c with { Over10 = c.Over10 - value },
                    "_bucket" when Label(labels, "le") == "20.48" => c with { Over20 = c.Over20 - value },
                    "_bucket" when Label(labels, "le") == "40.96" => c with { Over40 = c.Over40 - value },
                    _ => c,
                };
            }
            return counts;
        }

        public static string Describe(Dictionary<string, StageCounts> before, Dictionary<string, StageCounts> after)
        {
            var parts = new List<string>();
            foreach (var (stage, a) in after.Where(kv => !kv.Key.StartsWith("gen", StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var b = before.GetValueOrDefault(stage);
                parts.Add($"{stage} {a.Count - b.Count:F0} in {a.SumMs - b.SumMs:F0} ms, > 10/20/40 ms: {a.Over10 - b.Over10:F0}/{a.Over20 - b.Over20:F0}/{a.Over40 - b.Over40:F0}");
            }
            var gcs = string.Join("/", new[] { "gen0", "gen1", "gen2" }.Select(g => (after.GetValueOrDefault(g).Count - before.GetValueOrDefault(g).Count).ToString("F0", CultureInfo.InvariantCulture)));
            return $"{string.Join("; ", parts)}; collections gen0/1/2 {gcs}";
        }

        private double Sum(string name) => Lines().Where(l => l.Name == name).Sum(l => l.Value);

        private IEnumerable<(string Name, string Labels, double Value)> Lines()
        {
            string text;
            try
            {
                text = http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")).GetAwaiter().GetResult();
            }
            catch (HttpRequestException)
            {
                yield break; // not serving yet
            }
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }
                var space = line.LastIndexOf(' ');
                var brace = line.IndexOf('{', StringComparison.Ordinal);
                var name = brace >= 0 && brace < space ? line[..brace] : line[..Math.Max(space, 0)];
                var labels = brace >= 0 && brace < space ? line[(brace + 1)..line.LastIndexOf('}')] : "";
                if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    yield return (name, labels, value);
                }
            }
        }

        private static string? Label(string labels, string key)
        {
            var start = labels.IndexOf(key + "=\"", StringComparison.Ordinal);
            if (start < 0)
            {
                return null;
            }
            start += key.Length + 2;
            return labels[start..labels.IndexOf('"', start)];
        }
    }

    private readonly record struct StageCounts(double Count, double SumMs, double Over10, double Over20, double Over40);
}
