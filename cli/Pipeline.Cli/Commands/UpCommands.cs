using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;
using Pipeline.Platform.Redis;
using Pipeline.Processing.Engine;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline up</c>: the whole platform on one machine, each part as its own
/// <c>pipeline</c> process (exactly the commands an operator would run), around an embedded
/// broker and a redis-server child this process owns.</summary>
internal static class UpCommands
{
    public static Command Create()
    {
        var duration = new Option<TimeSpan?>("--duration") { Description = "Run this long (e.g. 00:02:00), then stop and print the summary. Default: until Ctrl+C." };
        var rate = new Option<int>("--rate") { Description = "Events per second the producers emit (all streams together).", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Scenario seed.", DefaultValueFactory = _ => 42 };
        var scenario = new Option<FileInfo?>("--scenario") { Description = "Scenario file (default: producers/scenarios/default.json semantics, built in)." };
        var dashboardPort = new Option<int>("--dashboard-port") { Description = "Dashboard port on 127.0.0.1 (0 = a free port).", DefaultValueFactory = _ => 0 };
        var dataDir = new Option<DirectoryInfo?>("--data-dir") { Description = "Where ledger peers keep their data (default: a new temporary directory)." };
        var command = new Command(
            "up",
            "Run the whole platform: embedded Kafka broker, redis-server, ledger peers loaded with the scenario's whitelist, " +
            "federated learning (coordinator + one participant per cluster), scoring and whitelist processors, producers and the dashboard. " +
            "Prints where everything is; on Ctrl+C or after --duration stops every child process and prints a summary.")
        {
            duration, rate, seed, scenario, dashboardPort, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var run = parse.GetValue(duration);
            if (run is { } d && d <= TimeSpan.Zero)
            {
                return CliHost.Fail("--duration must be positive");
            }
            var scenarioFile = parse.GetValue(scenario);
            if (scenarioFile is { Exists: false })
            {
                return CliHost.Fail($"scenario file {scenarioFile.FullName} does not exist");
            }
            var stack = new Stack(parse, parse.GetValue(rate), parse.GetValue(seed), scenarioFile, parse.GetValue(dashboardPort), parse.GetValue(dataDir));
            return await stack.RunAsync(run, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private sealed class Stack(ParseResult parse, int rate, int seed, FileInfo? scenario, int dashboardPort, DirectoryInfo? dataDir)
    {
        private readonly List<(string Name, Process Process)> _children = [];
        private readonly string _dll = Path.Combine(AppContext.BaseDirectory, "pipeline.dll");

        public async Task<int> RunAsync(TimeSpan? duration, CancellationToken cancellationToken)
        {
            var kafka = CliHost.Kafka(parse);
            using var broker = kafka.UsesEmbeddedBroker ? EmbeddedKafkaBroker.Start(kafka.EmbeddedBrokers, Topics.All, kafka.TopicPrefix) : null;
            var bootstrap = broker?.BootstrapServers ?? kafka.BootstrapServers!;
            await using var redis = await EmbeddedRedisServer.StartAsync(cancellationToken).ConfigureAwait(false);
            var data = dataDir?.FullName ?? Directory.CreateTempSubdirectory("pipeline-up-").FullName;
            var ledgerDir = Path.Combine(data, "ledger");
            // The user's own --set values reach every child too (e.g. Kafka:TopicPrefix).
            string[] common =
            [
                .. (parse.GetValue(CliHost.Set) ?? []).SelectMany(item => new[] { "--set", item }),
                "--bootstrap-servers", bootstrap,
                "--set", $"PeerIndex:Redis={redis.Endpoint}",
                "--set", $"Ledger:DataDirectory={ledgerDir}",
                // The mock cluster parks an empty fetch for the whole fetch.wait.max.ms (librdkafka's default 500 ms
                // would be the floor of every alert's latency); a process owning the broker sets this itself.
                .. (broker is null ? Array.Empty<string>() : ["--set", $"Kafka:Consumer:FetchWaitMaxMs={BatchConsumerLoop.EmbeddedFetchWaitMs}"]),
            ];
            string[] scenarioArgs = scenario is null ? ["--seed", $"{seed}"] : ["--scenario", scenario.FullName, "--seed", $"{seed}"];
            Console.WriteLine($"kafka     {bootstrap}{(broker is null ? "" : " (embedded)")}");
            Console.WriteLine($"redis     {redis.Endpoint} (pid {redis.ProcessId})");
            Console.WriteLine($"data      {data}");

            // The whitelist goes on the ledger before any verification starts (BCDID processes 1 and 2).
            var catalogue = Path.Combine(data, "whitelist.json");
            if (await RunToEndAsync("catalogue", ["produce", "catalogue", .. scenarioArgs, "--out", catalogue], cancellationToken).ConfigureAwait(false) != 0
                || await RunToEndAsync("import", ["whitelist", "import", catalogue, .. common], cancellationToken).ConfigureAwait(false) != 0)
            {
                return 1;
            }

            var port = dashboardPort == 0 ? Platform.LoopbackPorts.Free() : dashboardPort;
            var clients = new KafkaClientFactory(bootstrap, kafka);
            try
            {
                Start("dashboard", ["dashboard", "--port", $"{port}", .. common]);
                Start("scoring-iiot", ["process", "scoring", "--stream", "iiot", .. common]);
                Start("scoring-chain", ["process", "scoring", "--stream", "chain", .. common]);
                Start("whitelist", ["process", "whitelist", .. common]);
                // The coordinator and one participant per cluster (Federation:Clusters) in one process.
                Start("federation", ["fl", "run", "--set", $"Federation:KeyDirectory={Path.Combine(data, "fl-keys")}", .. common]);
                Start("producers", ["produce", "all", .. scenarioArgs, "--rate", $"{rate}", .. common]);
                Console.WriteLine($"dashboard http://127.0.0.1:{port}/  (metrics: /metrics)");
                Console.WriteLine($"running {_children.Count} processes; Ctrl+C stops{(duration is { } d ? $", or after {d}" : "")}");

                using var timer = duration is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
                using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                await WaitAsync(either.Token).ConfigureAwait(false);
            }
            finally
            {
                await StopChildrenAsync(clients).ConfigureAwait(false);
            }
            Console.WriteLine();
            Summary.Print(clients, CliHost.Configuration(parse)["PeerIndex:Strategy"] ?? "DynamicThrottle");
            Console.WriteLine("detection quality against the labels:");
            await RunToEndAsync("evaluate", ["evaluate", .. common], CancellationToken.None, echo: true).ConfigureAwait(false);
            return 0;
        }


        /// <summary>Starts <c>pipeline ARGS</c> with its output redirected.</summary>
        private Process Launch(string name, string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(_dll);
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }
            return Process.Start(start) ?? throw new InvalidOperationException($"could not start {name}");
        }

        /// <summary>Starts a long-running child with its own Prometheus endpoint (<c>--metrics-port</c>).</summary>
        private void Start(string name, string[] args)
        {
            var metricsPort = Platform.LoopbackPorts.Free();
            var process = Launch(name, [.. args, "--metrics-port", $"{metricsPort}"]);
            // Children log to their own streams; keep only their warnings and errors on ours.
            process.OutputDataReceived += (_, e) => Relay(name, e.Data, errorsOnly: true);
            process.ErrorDataReceived += (_, e) => Relay(name, e.Data, errorsOnly: true);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _children.Add((name, process));
            Console.WriteLine($"{name,-14} pid {process.Id,-7} metrics :{metricsPort,-5}  pipeline {string.Join(' ', args.TakeWhile(a => a != "--bootstrap-servers"))}");
        }

        private async Task<int> RunToEndAsync(string name, string[] args, CancellationToken cancellationToken, bool echo = false)
        {
            using var process = Launch(name, args);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (echo || process.ExitCode != 0)
            {
                Console.Write(await stdout.ConfigureAwait(false));
            }
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"{name} failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)}");
            }
            return process.ExitCode;
        }

        /// <summary>Until cancelled; a child that dies early is reported (the rest keep running).</summary>
        private async Task WaitAsync(CancellationToken cancellationToken)
        {
            var reported = new HashSet<string>();
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var (name, process) in _children)
                {
                    if (process.HasExited && reported.Add(name))
                    {
                        Console.Error.WriteLine($"{name} exited early with code {process.ExitCode}");
                    }
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        /// <summary>The producers first; then, while the processors still make progress, until they have processed
        /// what was produced; then SIGTERM to every child (handled like Ctrl+C: they flush and leave their groups), and
        /// kill what is still running after 20 s.</summary>
        /// <remarks>Without the drain, the events produced in the last moments were never scored or checked, and the
        /// evaluation counted them as not alerted (an 8-minute run: 35 executions without a verdict, 2 of them attacks).
        /// chain.blocks is not waited for: its last k blocks per chain stay held until later blocks come.</remarks>
        private async Task StopChildrenAsync(KafkaClientFactory clients)
        {
            if (_children.Find(c => c.Name == "producers").Process is { HasExited: false } producers)
            {
                _ = Signal.Terminate(producers.Id);
                using var producersGrace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await producers.WaitForExitAsync(producersGrace.Token).ConfigureAwait(false);
                    await DrainAsync(clients).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopped with the rest below.
                }
            }
            foreach (var (_, process) in _children.AsEnumerable().Reverse())
            {
                if (!process.HasExited)
                {
                    _ = Signal.Terminate(process.Id);
                }
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            foreach (var (name, process) in _children)
            {
                try
                {
                    await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine($"{name} did not stop within 20 s; killed");
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
                process.Dispose();
            }
            Console.WriteLine($"stopped {_children.Count} processes");
        }

        // Waits until the processors' groups have committed everything on their inputs (chain.blocks aside), for at most
        // 60 s and only while their lag keeps falling: a processor that died or stalled does not hold the stop up.
        private static async Task DrainAsync(KafkaClientFactory clients)
        {
            var inputs = new Pipeline.Dashboard.DashboardOptions().LagGroups
                .Select(g => (Group: g.Key, Topics: g.Value.Where(t => t != Topics.ChainBlocks).ToArray())).ToList();
            var reader = new Pipeline.Dashboard.ConsumerLagReader(clients);
            var clock = Stopwatch.StartNew();
            var (best, since) = (long.MaxValue, clock.Elapsed);
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                long left = 0;
                foreach (var (group, topics) in inputs)
                {
                    left += (await reader.ReadAsync([group], topics, CancellationToken.None).ConfigureAwait(false)).Sum(l => l.Lag);
                }
                if (left == 0)
                {
                    return;
                }
                if (left < best)
                {
                    (best, since) = (left, clock.Elapsed);
                }
                else if (clock.Elapsed - since > TimeSpan.FromSeconds(5))
                {
                    break;
                }
                // Re-check interval of the drain condition.
                await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
            }
            Console.Error.WriteLine($"the processors had {best} events left to process after {clock.Elapsed.TotalSeconds:0} s; stopping them anyway");
        }

        private static void Relay(string name, string? line, bool errorsOnly)
        {
            if (line is null)
            {
                return;
            }
            if (!errorsOnly || line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal)
                || line.StartsWith("error", StringComparison.Ordinal) || line.StartsWith("fatal", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"[{name}] {line}");
            }
        }
    }

    /// <summary>Counts read back from the topics after the run.</summary>
    private static class Summary
    {
        public static void Print(KafkaClientFactory clients, string strategy)
        {
            using var consumer = clients.CreateConsumer($"pipeline-up-summary-{Guid.NewGuid():N}", "pipeline-up-summary");
            Console.WriteLine("events per topic:");
            foreach (var topic in new[] { Topics.ChainBlocks, Topics.ChainTransactions, Topics.IiotTelemetry, Topics.EndpointExecutions, Topics.EndpointVerdicts, Topics.Alerts })
            {
                Console.WriteLine($"  {topic,-22} {Count(consumer, clients, topic),10:N0}   dead-lettered {Count(consumer, clients, Topics.DeadLetterOf(topic)),6:N0}");
            }
            var alerts = ReadAll<Alert>(consumer, clients, Topics.Alerts);
            Console.WriteLine("alerts by stream and type:");
            foreach (var group in alerts.GroupBy(a => (a.Stream, a.AlertType)).OrderBy(g => g.Key))
            {
                Console.WriteLine($"  {group.Key.Stream,-22} {group.Key.AlertType,-16} {group.Count(),8:N0}");
            }
            PrintModels(ReadAll<GlobalModel>(consumer, clients, Topics.FlGlobalModel));
            PrintPeers(ReadAll<ExecutionVerdict>(consumer, clients, Topics.EndpointVerdicts), strategy);
            consumer.Close();
        }

        /// <summary>The versions processors used (candidates awaiting calibration are left out), one line per round:
        /// participants, samples, threshold and the detection quality the participants measured on their labelled
        /// windows (in-sample; docs/federation.md).</summary>
        private static void PrintModels(List<GlobalModel> models)
        {
            Console.WriteLine("global models (calibrated versions; auc/precision/recall on the participants' labelled windows; attacks: the attack events in them):");
            foreach (var model in models.GroupBy(m => m.ModelName).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var used = model.Where(m => Metric(m, "calibrated") is not 0).OrderBy(m => m.Version).ToList();
                Console.WriteLine($"  {model.Key} ({model.First().DetectorKind}): {used.Count} versions, latest v{(used.Count > 0 ? used[^1].Version : 0)}");
                Console.WriteLine($"    {"version",8} {"round",6} {"parts",6} {"samples",9} {"threshold",10} {"attacks",8} {"auc",6} {"precision",9} {"recall",7}");
                foreach (var m in used)
                {
                    Console.WriteLine(
                        $"    {m.Version,8} {m.Round,6} {m.Participants.Count,6} {Format(Metric(m, "samples"), "N0"),9} {m.Threshold,10:0.####} {Format(Metric(m, "labelled_attacks"), "N0"),8} " +
                        $"{Format(Metric(m, "auc"), "0.000"),6} {Format(Metric(m, "precision"), "0.000"),9} {Format(Metric(m, "recall"), "0.000"),7}");
                }
            }
        }

        private static double? Metric(GlobalModel model, string name) => NamedValue.Find(model.Metrics, name);

        private static string Format(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

        /// <summary>How the peer strategy spread the whitelist lookups: share, latency and denials per peer.</summary>
        private static void PrintPeers(List<ExecutionVerdict> verdicts, string strategy)
        {
            Console.WriteLine($"whitelist lookups by peer (PeerIndex:Strategy {strategy}):");
            Console.WriteLine($"  {"peer",-22} {"lookups",8} {"share",7} {"p50 ms",8} {"p99 ms",8} {"denied",8}");
            foreach (var peer in verdicts.GroupBy(v => v.PeerId ?? "(failed)").OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var micros = peer.Select(v => v.LatencyMicros).Order().ToArray();
                Console.WriteLine(
                    $"  {peer.Key,-22} {micros.Length,8:N0} {(double)micros.Length / verdicts.Count,7:P1} " +
                    $"{Quantile(micros, 0.50) / 1000.0,8:0.00} {Quantile(micros, 0.99) / 1000.0,8:0.00} {peer.Count(v => v.Decision != "allow"),8:N0}");
            }
        }

        /// <summary>Nearest-rank quantile of sorted values.</summary>
        private static long Quantile(long[] sorted, double q) =>
            sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

        /// <summary>Messages currently held by a catalogue topic (0 when it does not exist).</summary>
        private static long Count(IConsumer<string?, byte[]> consumer, KafkaClientFactory clients, string catalogueName)
        {
            var definition = Topics.All.FirstOrDefault(t => t.Name == catalogueName);
            long total = 0;
            for (var partition = 0; partition < (definition?.Partitions ?? 0); partition++)
            {
                try
                {
                    var marks = consumer.QueryWatermarkOffsets(new TopicPartition(clients.Topic(catalogueName), partition), TimeSpan.FromSeconds(5));
                    total += marks.High - marks.Low;
                }
                catch (KafkaException)
                {
                    break;
                }
            }
            return total;
        }

        private static List<T> ReadAll<T>(IConsumer<string?, byte[]> consumer, KafkaClientFactory clients, string catalogueName) where T : IAvroRecord<T>
        {
            var partitions = Topics.Find(catalogueName).Partitions;
            var topic = clients.Topic(catalogueName);
            var ends = Enumerable.Range(0, partitions)
                .Select(p => (Partition: new TopicPartition(topic, p), High: consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(5)).High.Value))
                .ToList();
            consumer.Assign(ends.Select(e => new TopicPartitionOffset(e.Partition, Offset.Beginning)));
            var remaining = ends.Where(e => e.High > 0).ToDictionary(e => e.Partition.Partition.Value, e => e.High);
            var values = new List<T>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (remaining.Count > 0 && DateTime.UtcNow < deadline)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
                if (result is null)
                {
                    continue;
                }
                try
                {
                    values.Add(AvroSingleObject.Decode<T>(result.Message.Value));
                }
                catch (AvroContractException)
                {
                    // Counted by the processors' dead-letter topics; the summary skips it.
                }
                if (result.Offset.Value + 1 >= remaining.GetValueOrDefault(result.Partition.Value, long.MaxValue))
                {
                    remaining.Remove(result.Partition.Value);
                }
            }
            consumer.Unassign();
            return values;
        }
    }
}
