using System.CommandLine;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline topics</c>: the catalogue, and a decoding consumer that joins a consumer group.</summary>
internal static class TopicsCommands
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create() => new("topics", "List the topic catalogue, or consume a topic with decoding.")
    {
        ListCommand(),
        ConsumeCommand(),
    };

    private static Command ListCommand()
    {
        var command = new Command("list", "Print the topic catalogue: name, key, value type, partitions, cleanup policy.");
        command.SetAction(parse =>
        {
            var prefix = CliHost.Kafka(parse).TopicPrefix;
            Console.WriteLine($"{"topic",-28} {"key",-14} {"value",-20} {"partitions",10} cleanup");
            foreach (var t in Topics.All)
            {
                Console.WriteLine($"{prefix + t.Name,-28} {t.Key,-14} {t.ValueType?.Name ?? "original bytes",-20} {t.Partitions,10} {t.CleanupPolicy}");
            }
            return 0;
        });
        return command;
    }

    private static Command ConsumeCommand()
    {
        var topic = new Argument<string>("topic") { Description = "Topic to read (catalogue name, prefix applied)." };
        var group = new Option<string>("--group")
        {
            Description = "Consumer group; instances with the same group share the partitions.",
            DefaultValueFactory = _ => "pipeline-topics-consume",
        };
        var max = new Option<int>("--max") { Description = "Stop after this many messages (0 = no limit).", DefaultValueFactory = _ => 0 };
        var command = new Command(
            "consume",
            "Consume a topic as a member of a consumer group and print one JSON line per message (decoded Avro, or the reason it does not decode). " +
            "Offsets are committed after each printed message. Assignment changes are reported on stderr.")
        {
            topic,
            group,
            max,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var kafka = CliHost.Kafka(parse);
            if (kafka.UsesEmbeddedBroker)
            {
                return Task.FromResult(CliHost.Fail("consume needs a broker to read from: pass --bootstrap-servers (see `pipeline broker`)."));
            }
            var clients = new Platform.Kafka.KafkaClientFactory(kafka.BootstrapServers!, kafka);
            var limit = parse.GetValue(max);
            using var consumer = clients.CreateConsumer(parse.GetValue(group)!, $"pipeline-consume-{Environment.ProcessId}", b => b
                .SetPartitionsAssignedHandler((_, parts) => Console.Error.WriteLine($"assigned: {string.Join(",", parts.Select(p => p.Partition.Value))}"))
                .SetPartitionsRevokedHandler((_, parts) => Console.Error.WriteLine($"revoked: {string.Join(",", parts.Select(p => p.Partition.Value))}")));
            consumer.Subscribe(clients.Topic(parse.GetValue(topic)!));
            var seen = 0;
            try
            {
                while (limit == 0 || seen < limit)
                {
                    var result = consumer.Consume(cancellationToken);
                    Console.WriteLine(Describe(result));
                    consumer.Commit(result);
                    seen++;
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: leave the group cleanly below.
            }
            finally
            {
                consumer.Close();
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static string Describe(ConsumeResult<string?, byte[]> result)
    {
        var headers = (result.Message.Headers ?? []).ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes()));
        object? value;
        object? error = null;
        try
        {
            value = AvroSingleObject.Decode(result.Message.Value);
        }
        catch (AvroContractException e)
        {
            value = null;
            error = new { reason = e.ReasonCode, detail = e.Message };
        }
        return JsonSerializer.Serialize(new
        {
            topic = result.Topic,
            partition = result.Partition.Value,
            offset = result.Offset.Value,
            key = result.Message.Key,
            headers,
            type = value?.GetType().Name,
            value,
            error,
        }, Json);
    }
}
