using System.CommandLine;
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
    };

    private static Command Run()
    {
        var command = new Command("run", "Run the coordinator and one participant per cluster (Federation:Clusters) in this process, until Ctrl+C.");
        command.SetAction((parse, ct) => WithKafkaAsync(parse, ct, (clients, options, logging, token) =>
            FederationHost.RunAsync(clients, options, logging, token)));
        return command;
    }

    private static Command Coordinator()
    {
        var command = new Command("coordinator", "Announce rounds, validate and aggregate updates, publish global models, until Ctrl+C. Participants' public keys are read from Federation:KeyDirectory.");
        command.SetAction((parse, ct) => WithKafkaAsync(parse, ct, (clients, options, logging, token) =>
            RunServiceAsync(new FederationCoordinator(clients, options, new ParticipantKeyDirectory(options.KeyDirectory), logging.CreateLogger<FederationCoordinator>()), token)));
        return command;
    }

    private static Command Participant()
    {
        var cluster = new Option<string>("--cluster") { Description = "Cluster id this participant trains for (one of Federation:Clusters).", Required = true };
        var command = new Command("participant", "Train on this cluster's own telemetry on each announced round and publish signed updates, until Ctrl+C. Its key pair is created in Federation:KeyDirectory on first start.")
        {
            cluster,
        };
        command.SetAction((parse, ct) => WithKafkaAsync(parse, ct, (clients, options, logging, token) =>
        {
            var id = parse.GetValue(cluster)!;
            var key = new ParticipantKeyDirectory(options.KeyDirectory).LoadOrCreatePrivateKey(FederationOptions.ParticipantIdFor(id));
            return RunServiceAsync(new FederationParticipant(clients, options, id, key, logging.CreateLogger<FederationParticipant>()), token);
        }));
        return command;
    }

    private static async Task<int> WithKafkaAsync(ParseResult parse, CancellationToken cancellationToken, Func<KafkaClientFactory, FederationOptions, ILoggerFactory, CancellationToken, Task> body)
    {
        var options = CliHost.Configuration(parse).Bind<FederationOptions>(FederationOptions.SectionName);
        try
        {
            options.Validate();
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

    private static async Task RunServiceAsync(BackgroundService service, CancellationToken cancellationToken)
    {
        using (service)
        {
            await service.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop below.
            }
            await service.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
