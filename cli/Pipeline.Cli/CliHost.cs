using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Pipeline.Dashboard;
using Pipeline.Platform;
using Pipeline.Platform.Kafka;

namespace Pipeline.Cli;

/// <summary>What every command shares: the global options, configuration and logging.</summary>
internal static class CliHost
{
    /// <summary>Exit code for bad input (a file, an option value): the message says what to fix.</summary>
    public const int UsageError = 2;

    public static readonly Option<string[]> Set = new("--set")
    {
        Description = "Override a configuration key, KEY=VALUE (repeatable), e.g. --set Kafka:TopicPrefix=staging.",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> BootstrapServers = new("--bootstrap-servers")
    {
        Description = "Kafka bootstrap servers (host:port,...). Default: Kafka:BootstrapServers from configuration; when empty, an embedded broker starts in this process.",
        Recursive = true,
    };

    public static readonly Option<int?> MetricsPort = new("--metrics-port")
    {
        Description = "Serve this process's Prometheus metrics (processing, peer index, federation, runtime) at http://127.0.0.1:PORT/metrics while the command runs.",
        Recursive = true,
    };

    public static void AddGlobalOptions(RootCommand root)
    {
        root.Options.Add(Set);
        root.Options.Add(BootstrapServers);
        root.Options.Add(MetricsPort);
    }

    /// <summary>Starts the Prometheus endpoint when <c>--metrics-port</c> was given (null otherwise).
    /// It exports prometheus-net's default registry, which includes every .NET <c>Meter</c> of the
    /// process (Pipeline.Processing, Pipeline.PeerIndex, ...).</summary>
    public static IDisposable? StartMetricServer(ParseResult parse)
    {
        if (parse.GetValue(MetricsPort) is not { } port)
        {
            return null;
        }
        if (port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(parse), port, "--metrics-port must be between 1 and 65535");
        }
        try
        {
            return MetricsEndpoint.StartAsync(IPAddress.Loopback, port, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"cannot serve metrics on 127.0.0.1:{port}: {e.Message}", e);
        }
    }

    public static IConfigurationRoot Configuration(ParseResult parse) =>
        PipelineConfiguration.Build(parse.GetValue(Set) ?? []);

    public static KafkaOptions Kafka(ParseResult parse)
    {
        var options = Configuration(parse).Bind<KafkaOptions>(KafkaOptions.SectionName);
        var servers = parse.GetValue(BootstrapServers);
        if (!string.IsNullOrWhiteSpace(servers))
        {
            options.BootstrapServers = servers;
        }
        return options;
    }

    public static ILoggerFactory Logging(LogLevel minimum = LogLevel.Information) =>
        LoggerFactory.Create(b => b
            .SetMinimumLevel(minimum)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }));

    /// <summary>Writes an error the user can act on, and returns the usage exit code.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine("error: " + message);
        return UsageError;
    }
}
