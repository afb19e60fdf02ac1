using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Pipeline.Platform.Kafka;
using Pipeline.Producers.Catalogue;
using Pipeline.Producers.Publishing;
using Pipeline.Producers.Replay;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline produce</c>: the scenario simulator, file replay and the whitelist catalogue export.</summary>
internal static class ProduceCommands
{
    public static Command Create() => new(
        "produce",
        "Stream labelled telemetry into the input topics: a seeded smart-factory, blockchain and fleet simulation, or a CSV/JSON-lines replay. " +
        "The ground-truth label travels in the 'label' header (normal or the attack type), never in the payload.")
    {
        SimulateCommand("chain", ProducerDomains.Chain, "Blocks and transactions of each cluster's chain (chain.blocks, chain.transactions)."),
        SimulateCommand("iiot", ProducerDomains.Iiot, "Water-treatment device readings of every factory (iiot.telemetry)."),
        SimulateCommand("endpoints", ProducerDomains.Endpoints, "Application executions on the fleet's endpoints (endpoint.executions)."),
        SimulateCommand("all", ProducerDomains.All, "All of chain, iiot and endpoints, merged in simulated-time order."),
        ReplayCommand(),
        CatalogueCommand(),
    };

    private static Option<FileInfo?> ScenarioOption() => new("--scenario")
    {
        Description = "Scenario file (JSON, docs/scenarios.md). Default: the built-in scenario (producers/scenarios/default.json).",
    };

    private static Option<long> SeedOption() => new("--seed")
    {
        Description = "Seed: with the scenario it determines every event, byte for byte.",
        DefaultValueFactory = _ => 42,
    };

    private static Option<double> RateOption(double fallback) => new("--rate")
    {
        Description = "Messages per second, held by a token bucket; 0 = as fast as the broker accepts.",
        DefaultValueFactory = _ => fallback,
    };

    private static Option<long?> CountOption() => new("--count") { Description = "Stop after this many messages." };

    private static Option<string?> DurationOption() => new("--duration")
    {
        Description = "Stop after this long (wall clock): 90s, 5m, 1h or hh:mm:ss.",
    };

    private static Command SimulateCommand(string name, ProducerDomains domains, string description)
    {
        var scenario = ScenarioOption();
        var seed = SeedOption();
        var rate = RateOption(1000);
        var count = CountOption();
        var duration = DurationOption();
        var start = new Option<string>("--start")
        {
            Description = "Simulated time of the first event: 'scenario' (its startTime), 'now', or an ISO-8601 time.",
            DefaultValueFactory = _ => "scenario",
        };
        var command = new Command(name, description + " Runs until --count or --duration is reached, or Ctrl+C (which flushes and stops).")
        {
            scenario, seed, rate, count, duration, start,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            ScenarioDefinition definition;
            PublishLimits limits;
            try
            {
                var file = parse.GetValue(scenario);
                definition = file is null ? ScenarioLoader.Default : ScenarioLoader.Load(file.FullName);
                definition = WithStart(definition, parse.GetValue(start)!);
                limits = Limits(parse.GetValue(rate), parse.GetValue(count), parse.GetValue(duration));
            }
            catch (ScenarioFormatException e)
            {
                return CliHost.Fail(e.Message);
            }
            catch (FormatException e)
            {
                return CliHost.Fail(e.Message);
            }
            var world = new ScenarioWorld(definition, parse.GetValue(seed));
            var title = $"produce {name}: scenario '{definition.Name}', seed {world.Seed}";
            return await RunAsync(parse, title, world.Stream(domains), limits, null, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command ReplayCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV (first line = header) or JSON-lines file." };
        var map = new Option<FileInfo>("--map")
        {
            Description = "Mapping file (JSON, docs/scenarios.md#replay-mapping): topic, key/timestamp/label columns, field → column.",
            Required = true,
        };
        var rate = RateOption(0);
        var count = CountOption();
        var duration = DurationOption();
        var rejects = new Option<FileInfo?>("--rejects") { Description = "Write rows that do not parse to this file (CSV header first), to fix and replay." };
        var strict = new Option<bool>("--strict") { Description = "Stop at the first row that does not parse (exit code 2)." };
        var command = new Command(
            "replay",
            "Stream a CSV or JSON-lines file into a topic through a column mapping (SWaT, gas-pipeline, Elliptic or your own exports). " +
            "Rows that do not parse are counted, reported with their line number and skipped.")
        {
            file, map, rate, count, duration, rejects, strict,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var input = parse.GetValue(file)!;
            ReplayMapping mapping;
            PublishLimits limits;
            try
            {
                mapping = ReplayMappingLoader.Load(parse.GetValue(map)!.FullName);
                limits = Limits(parse.GetValue(rate), parse.GetValue(count), parse.GetValue(duration));
            }
            catch (ScenarioFormatException e)
            {
                return CliHost.Fail(e.Message);
            }
            catch (FormatException e)
            {
                return CliHost.Fail(e.Message);
            }
            if (!input.Exists)
            {
                return CliHost.Fail($"{input.FullName}: file not found");
            }
            var feed = new ReplayFeed(input.FullName, mapping, parse.GetValue(rejects)?.FullName, parse.GetValue(strict));
            var shown = 0;
            feed.RowRejected += (line, reason) =>
            {
                if (shown++ < ReplayFeed.MaxRememberedErrors)
                {
                    Console.Error.WriteLine($"{input.Name}:{line}: skipped: {reason}");
                }
            };
            int code;
            try
            {
                code = await RunAsync(parse, $"replay {input.Name} → {mapping.Topic}", feed.Messages(cancellationToken), limits,
                    () => $"rows accepted {feed.Accepted:N0}, rejected {feed.Rejected:N0}", cancellationToken).ConfigureAwait(false);
            }
            catch (ReplayRowException e)
            {
                return CliHost.Fail($"{e.Message} (--strict)");
            }
            catch (IOException e)
            {
                return CliHost.Fail($"{input.FullName}: {e.Message}");
            }
            if (feed.Rejected > 0)
            {
                Console.Error.WriteLine($"{feed.Rejected:N0} row(s) did not parse and were skipped" +
                    (parse.GetValue(rejects) is { } r ? $"; written to {r.FullName}" : "; pass --rejects FILE to keep them"));
            }
            return code;
        });
        return command;
    }

    private static Command CatalogueCommand()
    {
        var scenario = ScenarioOption();
        var seed = SeedOption();
        var output = new Option<FileInfo>("--out") { Description = "Where to write the catalogue JSON.", Required = true };
        var command = new Command(
            "catalogue",
            "Export the scenario's whitelist: approved executables (sha256, app, version, platform, owner role, approver) and enrolled endpoints, " +
            "as JSON that 'pipeline whitelist import' reads. The same scenario and seed give the hashes the simulator runs.")
        {
            scenario, seed, output,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            ScenarioDefinition definition;
            try
            {
                var file = parse.GetValue(scenario);
                definition = file is null ? ScenarioLoader.Default : ScenarioLoader.Load(file.FullName);
            }
            catch (ScenarioFormatException e)
            {
                return CliHost.Fail(e.Message);
            }
            var catalogue = new ScenarioWorld(definition, parse.GetValue(seed)).BuildCatalogue();
            var path = parse.GetValue(output)!.FullName;
            try
            {
                await CatalogueJson.WriteAsync(catalogue, path, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliHost.Fail($"{path}: {e.Message}");
            }
            Console.WriteLine($"wrote {catalogue.Apps.Count} approved executables ({catalogue.Apps.Select(a => a.AppName).Distinct().Count()} apps) " +
                $"and {catalogue.Endpoints.Count} endpoints to {path}");
            return 0;
        });
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string title, IEnumerable<SimulatedMessage> messages, PublishLimits limits,
        Func<string>? extra, CancellationToken cancellationToken)
    {
        var kafka = CliHost.Kafka(parse);
        using var logging = CliHost.Logging(LogLevel.Warning);
        using var environment = await KafkaEnvironment.StartAsync(kafka, logging.CreateLogger("produce"), cancellationToken).ConfigureAwait(false);
        if (environment.Embedded is not null)
        {
            Console.Error.WriteLine($"no --bootstrap-servers (or Kafka:BootstrapServers) given: started an embedded broker at {environment.BootstrapServers}; " +
                "it stops when this command ends. Run `pipeline broker` in another terminal to keep one.");
        }
        using var producer = environment.Clients.CreateProducer($"pipeline-produce-{Environment.ProcessId}");
        var publisher = new KafkaPublisher(producer, kafka.TopicPrefix);
        var progress = new PublishProgress();
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() => publisher.PublishAsync(messages, limits, progress, cancellationToken), CancellationToken.None);

        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Live(Table(title, progress, clock.Elapsed, extra)).StartAsync(async ctx =>
            {
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(250, CancellationToken.None)).ConfigureAwait(false);
                    ctx.UpdateTarget(Table(title, progress, clock.Elapsed, extra));
                }
            }).ConfigureAwait(false);
        }
        else
        {
            Console.WriteLine($"{title} → {environment.BootstrapServers}");
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(5_000, CancellationToken.None)).ConfigureAwait(false);
                Console.WriteLine(Line(progress, clock.Elapsed, extra));
            }
        }
        await run.ConfigureAwait(false);

        Console.WriteLine($"done: {Line(progress, clock.Elapsed, extra)}");
        Console.WriteLine("  topics: " + string.Join(", ", progress.ByTopic.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value:N0}")));
        Console.WriteLine("  labels: " + string.Join(", ", progress.ByLabel.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value:N0}")));
        if (progress.Failed > 0)
        {
            Console.Error.WriteLine($"error: {progress.Failed:N0} message(s) were not delivered; first: {progress.FirstError}");
            return 1;
        }
        return 0;
    }

    private static string Line(PublishProgress p, TimeSpan elapsed, Func<string>? extra) =>
        $"produced {p.Produced:N0}, delivered {p.Delivered:N0}, failed {p.Failed:N0} in {elapsed.TotalSeconds:F1} s " +
        $"({p.Delivered / Math.Max(0.001, elapsed.TotalSeconds):N0}/s)" + (extra is null ? "" : "; " + extra());

    private static Table Table(string title, PublishProgress p, TimeSpan elapsed, Func<string>? extra)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumn("topic / label").AddColumn(new TableColumn("messages").RightAligned());
        foreach (var (topic, n) in p.ByTopic.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(topic), n.ToString("N0", CultureInfo.InvariantCulture));
        }
        foreach (var (label, n) in p.ByLabel.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            table.AddRow("  [grey]label[/] " + Markup.Escape(label), n.ToString("N0", CultureInfo.InvariantCulture));
        }
        table.Caption(Markup.Escape(Line(p, elapsed, extra)) + " — Ctrl+C flushes and stops");
        return table;
    }

    private static PublishLimits Limits(double rate, long? count, string? duration)
    {
        if (rate < 0 || double.IsNaN(rate))
        {
            throw new FormatException($"--rate must be 0 or more, got {rate}");
        }
        if (count is < 1)
        {
            throw new FormatException($"--count must be at least 1, got {count}");
        }
        if (count is not null && duration is not null)
        {
            throw new FormatException("give --count or --duration, not both");
        }
        return new PublishLimits { Rate = rate, Count = count, Duration = duration is null ? null : ParseDuration(duration) };
    }

    private static TimeSpan ParseDuration(string text)
    {
        var t = text.Trim();
        if (t.Length > 1 && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (t[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        if (TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }
        throw new FormatException($"--duration '{text}' is not a duration: use 90s, 5m, 1h or hh:mm:ss");
    }

    private static ScenarioDefinition WithStart(ScenarioDefinition scenario, string start)
    {
        if (start == "scenario")
        {
            return scenario;
        }
        if (start == "now")
        {
            return scenario with { StartTime = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) };
        }
        return DateTimeOffset.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? scenario with { StartTime = at }
            : throw new FormatException($"--start '{start}' is not 'scenario', 'now' or an ISO-8601 time");
    }
}
