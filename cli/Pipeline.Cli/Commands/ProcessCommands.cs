using System.CommandLine;
using Microsoft.Extensions.Logging;
using Pipeline.Ledger;
using Pipeline.PeerIndex;
using Pipeline.Platform;
using Pipeline.Platform.Kafka;
using Pipeline.Processing;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Scoring;
using Pipeline.Processing.Whitelist;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline process scoring|whitelist</c>: the stream processors as standalone instances.
/// Instances of the same command (and Processing:GroupId) form one consumer group.</summary>
internal static class ProcessCommands
{
    public static Command Create()
    {
        var command = new Command("process", "Run a stream processor instance until Ctrl+C; start more instances to share the partitions.");
        command.Subcommands.Add(Scoring());
        command.Subcommands.Add(Whitelist());
        return command;
    }

    private static Command Scoring()
    {
        var stream = new Option<string>("--stream")
        {
            Description = "chain (chain.blocks + chain.transactions) or iiot (iiot.telemetry).",
            Required = true,
        };
        var group = new Option<string?>("--group")
        {
            Description = "Consumer group (default Processing:GroupId, else pipeline-scoring-<stream>). Instances of one group share the partitions; " +
                "with --set Kafka:Consumer:PartitionAssignmentStrategy=CooperativeSticky only the partitions that change owner move when one joins or leaves.",
        };
        var command = new Command(
            "scoring",
            "Score every event of a stream with the current global model (followed on fl.global-model) and produce alerts. " +
            "A block model with confirmations scores each block once that many later blocks of its chain have arrived (its alert comes then). " +
            "Config: Processing:Guarantee, Processing:BatchSize, Processing:BatchTimeoutMs, Processing:Scoring:NoModel (Wait|PassThrough), Processing:Scoring:TopFeatures, " +
            "Processing:Scoring:ConfirmationTimeoutSeconds (score a held block anyway after this long; default 600). All keys: docs/configuration.md.")
        {
            stream,
            group,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var name = parse.GetValue(stream) ?? "";
            if (ScoredStreams.TopicsOf(name).Count == 0)
            {
                return CliHost.Fail($"--stream must be '{ScoredStreams.Chain}' or '{ScoredStreams.Iiot}', got '{name}'");
            }
            var configuration = CliHost.Configuration(parse);
            var processing = configuration.Bind<ProcessingOptions>(ProcessingOptions.SectionName);
            var scoring = configuration.Bind<ScoringOptions>(ScoringOptions.SectionName);
            processing.GroupId = parse.GetValue(group) ?? processing.GroupId;
            using var logging = CliHost.Logging();
            var logger = logging.CreateLogger("process");
            return await RunProcessorAsync(async () =>
            {
                processing.Validate();
                scoring.Validate();
                using var kafka = await ConnectAsync(parse, logger, cancellationToken).ConfigureAwait(false);
                using var processor = new ScoringProcessor(kafka.Clients, name, processing, scoring, logging);
                await processor.RunAsync(cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Whitelist()
    {
        var msp = new Option<string>("--msp")
        {
            Description = "MSP id the embedded ledger peers register under and the processor queries as (external Fabric peers: Processing:Whitelist:FabricIdentity:MspId).",
            DefaultValueFactory = _ => "Org1MSP",
        };
        var command = new Command(
            "whitelist",
            "Verify every endpoint execution against the whitelist ledger (embedded peers opened from Ledger:DataDirectory, " +
            "selected through the Redis peer index at PeerIndex:Redis with PeerIndex:Strategy) and produce verdicts and alerts. " +
            "Config: Processing:Whitelist:OnLookupFailure (FailClosed|FailOpen), Processing:Whitelist:LookupTimeoutMs, " +
            "Processing:Whitelist:Transport (InProcess|Gateway: each peer's Fabric Gateway gRPC service on loopback). " +
            "With Processing:Whitelist:FabricPeers:<i>:Id/:Endpoint/:TlsCaFile (and FabricIdentity:MspId/:CertificateFile/:KeyFile, Transport=Gateway) " +
            "it queries an external Fabric network's peers instead, on channel Ledger:ChannelName, and starts no embedded peers.")
        {
            msp,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var configuration = CliHost.Configuration(parse);
            var processing = configuration.Bind<ProcessingOptions>(ProcessingOptions.SectionName);
            var whitelist = configuration.Bind<WhitelistOptions>(WhitelistOptions.SectionName);
            var ledgerOptions = configuration.Bind<LedgerOptions>(LedgerOptions.SectionName);
            var indexOptions = configuration.Bind<PeerIndexOptions>(PeerIndexOptions.SectionName);
            using var logging = CliHost.Logging();
            var logger = logging.CreateLogger("process");
            return await RunProcessorAsync(async () =>
            {
                processing.Validate();
                whitelist.Validate();
                using var kafka = await ConnectAsync(parse, logger, cancellationToken).ConfigureAwait(false);
                using var redis = await PeerIndexConnection.ConnectAsync(indexOptions.Redis).ConfigureAwait(false);
                if (whitelist.UsesExternalFabric)
                {
                    // An external Fabric network: no embedded peers; the processor registers the configured peers itself.
                    await using var fabric = await ExternalFabricLookup.StartAsync(
                        whitelist, ledgerOptions.ChannelName, redis, indexOptions, logging, cancellationToken).ConfigureAwait(false);
                    using var external = new WhitelistProcessor(kafka.Clients, fabric.Lookup, processing, whitelist, logging);
                    await external.RunAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                await using var network = await LedgerNetwork.StartAsync(ledgerOptions, loggerFactory: logging, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using var ledger = await EmbeddedLedgerLookup.StartAsync(
                    network, redis, indexOptions, logging, parse.GetValue(msp) ?? "Org1MSP", whitelist.Transport, whitelist.GatewayIdentity, cancellationToken).ConfigureAwait(false);
                using var processor = new WhitelistProcessor(kafka.Clients, ledger.Lookup, processing, whitelist, logging);
                await processor.RunAsync(cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs a processor until it stops: exit code 0; a configuration error (<see cref="ArgumentException"/>)
    /// exits with its message, a fatal processing error with "fatal: ..." and 1.</summary>
    private static async Task<int> RunProcessorAsync(Func<Task> run)
    {
        try
        {
            await run().ConfigureAwait(false);
            return 0;
        }
        catch (ArgumentException e)
        {
            return CliHost.Fail(e.Message);
        }
        catch (ProcessingFatalException e)
        {
            Console.Error.WriteLine("fatal: " + e.Message);
            return 1;
        }
    }

    /// <summary>An embedded broker when no bootstrap servers are configured; otherwise a client
    /// factory for the given cluster. A processor does not create topics on a cluster (that is
    /// `pipeline topics`' job, and the embedded broker of another process refuses the admin call).</summary>
    private static async Task<KafkaEnvironmentOrCluster> ConnectAsync(ParseResult parse, ILogger logger, CancellationToken cancellationToken)
    {
        var options = CliHost.Kafka(parse);
        if (options.UsesEmbeddedBroker)
        {
            var environment = await KafkaEnvironment.StartAsync(options, logger, cancellationToken).ConfigureAwait(false);
            return new KafkaEnvironmentOrCluster(environment.Clients, environment);
        }
        return new KafkaEnvironmentOrCluster(new KafkaClientFactory(options.BootstrapServers!, options), null);
    }

    private sealed record KafkaEnvironmentOrCluster(KafkaClientFactory Clients, KafkaEnvironment? Embedded) : IDisposable
    {
        public void Dispose() => Embedded?.Dispose();
    }
}
