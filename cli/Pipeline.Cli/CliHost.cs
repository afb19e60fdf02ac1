using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
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

    public static void AddGlobalOptions(RootCommand root)
    {
        root.Options.Add(Set);
        root.Options.Add(BootstrapServers);
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
