using System.CommandLine;
using Pipeline.Contracts;
using Pipeline.Platform.Kafka;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline broker</c>: the embedded Kafka broker as a standalone process.</summary>
internal static class BrokerCommands
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers")
        {
            Description = "Number of brokers in the embedded cluster (ids 1..N).",
            DefaultValueFactory = _ => 1,
        };
        var addressFile = new Option<FileInfo?>("--address-file")
        {
            Description = "Also write the bootstrap address to this file (for scripts).",
        };
        var command = new Command(
            "broker",
            "Run the embedded Kafka broker (librdkafka's mock cluster, real Kafka protocol) with the catalogue topics, until Ctrl+C. " +
            "Any Kafka client can use the printed bootstrap address, e.g. kcat -b ADDRESS -L.")
        {
            brokers,
            addressFile,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var count = parse.GetValue(brokers);
            if (count is < 1 or > 16)
            {
                return CliHost.Fail($"--brokers must be between 1 and 16, got {count}");
            }
            var prefix = CliHost.Kafka(parse).TopicPrefix;
            using var broker = EmbeddedKafkaBroker.Start(count, Topics.All, prefix);
            Console.WriteLine($"Embedded Kafka broker: {count} broker(s) on librdkafka {Confluent.Kafka.Library.VersionString}");
            Console.WriteLine($"bootstrap: {broker.BootstrapServers}");
            Console.WriteLine($"topics: {string.Join(", ", Topics.All.Select(t => prefix + t.Name))}");
            Console.WriteLine("Limits: each partition keeps at most 5 MiB or 100,000 batches; read_committed is not enforced. Ctrl+C stops.");
            var file = parse.GetValue(addressFile);
            if (file is not null)
            {
                await File.WriteAllTextAsync(file.FullName, broker.BootstrapServers, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("broker stopped");
            }
            return 0;
        });
        return command;
    }
}
