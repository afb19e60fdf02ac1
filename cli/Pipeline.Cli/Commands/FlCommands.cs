using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Federation;
using Pipeline.Platform;
using Pipeline.Platform.Kafka;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline fl</c>: federated learning over the fl.* topics.</summary>
internal static class FlCommands
{
    public static Command Create() => new("fl", "Federated learning: a coordinator aggregates signed model updates from one participant per cluster into versioned global models (config section Federation).")
    {
        Run(),
        Coordinator(),
        Participant(),
        Clusters(),
    };

    private static Command Clusters()
    {
        var scenario = new Option<FileInfo?>("--scenario") { Description = "Scenario file (default: the built-in default scenario)." };
        var seed = new Option<long>("--seed") { Description = "Scenario seed.", DefaultValueFactory = _ => 42 };
        var k = new Option<int?>("--k") { Description = "Number of clusters K (default: the scenario's cluster count)." };
        var range = new Option<double>("--radio-range-km") { Description = "Devices this close are neighbours.", DefaultValueFactory = _ => FactoryClustering.DefaultRadioRangeKm };
        var format = new Option<string>("--format") { Description = "table or json.", DefaultValueFactory = _ => "table" };
        var command = new Command("clusters", "Group the scenario's factories and devices into K clusters by location and shared neighbouring devices (Block Hunter's Algorithm 2) and show each cluster's head.")
        {
            scenario, seed, k, range, format,
        };
        command.SetAction(parse =>
        {
            var output = parse.GetValue(format);
            if (output is not ("table" or "json"))
            {
                return CliHost.Fail($"--format must be table or json, got '{output}'");
            }
            IReadOnlyList<FactoryCluster> clusters;
            Pipeline.Producers.Simulation.ScenarioWorld world;
            try
            {
                var file = parse.GetValue(scenario);
                var definition = file is null ? Pipeline.Producers.Scenarios.ScenarioLoader.Default : Pipeline.Producers.Scenarios.ScenarioLoader.Load(file.FullName);
                world = new Pipeline.Producers.Simulation.ScenarioWorld(definition, parse.GetValue(seed));
                var factories = world.Sites.Select(s => new FactoryLocation(s.FactoryId, s.XKm, s.YKm, [.. s.Devices.Select(d => new DeviceLocation(d.DeviceId, d.XKm, d.YKm))])).ToList();
                clusters = FactoryClustering.Cluster(factories, parse.GetValue(k) ?? world.ClusterIds.Count, parse.GetValue(range));
            }
            catch (Exception e) when (e is ArgumentException or Pipeline.Producers.Scenarios.ScenarioFormatException or IOException)
            {
                return CliHost.Fail(e.Message);
            }
            if (output == "json")
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                    clusters.Select(c => new { cluster = c.Index, head = c.Head, factories = c.Factories, devices = c.Devices, cost = Math.Round(c.Cost, 6) }),
                    new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            Console.WriteLine($"{"cluster",-8} {"head",-10} {"factories",-40} devices");
            foreach (var c in clusters)
            {
                Console.WriteLine($"{c.Index,-8} {c.Head,-10} {string.Join(",", c.Factories),-40} {c.Devices.Count}");
            }
            return 0;
        });
        return command;
    }

    private static Command Run()
    {
        var model = ModelOption();
        var command = new Command("run", "Run, for every federated model (Federation:Models: one per stream), the coordinator and one participant per cluster (Federation:Clusters) in this process, until Ctrl+C.")
        {
            model,
        };
        command.SetAction((parse, ct) => WithKafkaAsync(parse, model, ct, (clients, options, logging, token) =>
            FederationHost.RunAsync(clients, options, logging, token)));
        return command;
    }

    private static Command Coordinator()
    {
        var model = ModelOption();
        var command = new Command("coordinator", "Announce rounds, validate and aggregate updates, publish global models (one coordinator per model of Federation:Models), until Ctrl+C. Participants' public keys are read from Federation:KeyDirectory.")
        {
            model,
        };
        command.SetAction((parse, ct) => WithKafkaAsync(parse, model, ct, (clients, options, logging, token) =>
        {
            var keys = new ParticipantKeyDirectory(options.KeyDirectory);
            return RunServicesAsync([.. options.ModelOptions().Select(m => new FederationCoordinator(clients, m, keys, logging.CreateLogger<FederationCoordinator>()))], token);
        }));
        return command;
    }

    private static Command Participant()
    {
        var model = ModelOption();
        var cluster = new Option<string>("--cluster") { Description = "Cluster id this participant trains for (one of Federation:Clusters).", Required = true };
        var command = new Command("participant", "Train on this cluster's own events on each announced round of every model (Federation:Models) and publish signed updates, until Ctrl+C. Its key pair is created in Federation:KeyDirectory on first start.")
        {
            cluster, model,
        };
        command.SetAction((parse, ct) => WithKafkaAsync(parse, model, ct, (clients, options, logging, token) =>
        {
            var id = parse.GetValue(cluster)!;
            var key = new ParticipantKeyDirectory(options.KeyDirectory).LoadOrCreatePrivateKey(FederationOptions.ParticipantIdFor(id));
            return RunServicesAsync([.. options.ModelOptions().Select(m => new FederationParticipant(clients, m, id, key, logging.CreateLogger<FederationParticipant>()))], token);
        }));
        return command;
    }

    private static Option<string?> ModelOption() => new("--model")
    {
        Description = "Only this model of Federation:Models (default: all of them).",
    };

    private static async Task<int> WithKafkaAsync(ParseResult parse, Option<string?> model, CancellationToken cancellationToken, Func<KafkaClientFactory, FederationOptions, ILoggerFactory, CancellationToken, Task> body)
    {
        var configuration = CliHost.Configuration(parse);
        var options = configuration.Bind<FederationOptions>(FederationOptions.SectionName);
        var section = configuration.GetSection(FederationOptions.SectionName);
        if (new[] { nameof(FederationOptions.Models), nameof(FederationOptions.ModelName), nameof(FederationOptions.Stream), nameof(FederationOptions.Detector) }.All(k => section[k] is null))
        {
            options.Models = FederationOptions.DefaultModels; // one model per stream unless a model is configured
        }
        try
        {
            options.Validate();
            if (parse.GetValue(model) is { Length: > 0 } name)
            {
                var chosen = options.ModelOptions().FirstOrDefault(m => m.ModelName == name)
                    ?? throw new ArgumentException($"--model '{name}' is not one of Federation:Models ({string.Join(", ", options.ModelOptions().Select(m => m.ModelName))}).");
                options = chosen;
            }
        }
        catch (ArgumentException e)
        {
            return CliHost.Fail(e.Message);
        }
        using var logging = CliHost.Logging();
        var kafka = CliHost.Kafka(parse);
        using var environment = await KafkaEnvironment.StartAsync(kafka, logging.CreateLogger("fl"), cancellationToken).ConfigureAwait(false);
        await body(environment.Clients, options, logging, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static async Task RunServicesAsync(IReadOnlyList<BackgroundService> services, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var service in services)
            {
                await service.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop below.
            }
            foreach (var service in services)
            {
                await service.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var service in services)
            {
                service.Dispose();
            }
        }
    }
}
