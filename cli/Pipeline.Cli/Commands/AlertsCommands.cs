using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Dashboard;
using Pipeline.Platform.Kafka;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline alerts</c>: read the alerts topic as an analyst.</summary>
internal static class AlertsCommands
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Command Create() => new("alerts", "Read detection alerts from the alerts topic.")
    {
        TailCommand(),
    };

    private static Command TailCommand()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new alerts as they arrive (one line each) until Ctrl+C." };
        var stream = new Option<string?>("--stream") { Description = "Only alerts of this stream (e.g. chain, iiot, endpoint)." };
        var minScore = new Option<double>("--min-score") { Description = "Only alerts with score >= this value.", DefaultValueFactory = _ => double.NegativeInfinity };
        var last = new Option<int>("--last", "-n") { Description = "How many of the latest matching alerts to print first.", DefaultValueFactory = _ => 20 };
        var format = new Option<string>("--format")
        {
            Description = "table (aligned columns; a Spectre table on a terminal) or json (one JSON object per line).",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command(
            "tail",
            "Print the latest alerts (reads the alerts topic from the beginning by manual assignment; no consumer group, no commits), " +
            "optionally following new ones.")
        {
            follow,
            stream,
            minScore,
            last,
            format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var kafka = CliHost.Kafka(parse);
            if (kafka.UsesEmbeddedBroker)
            {
                return CliHost.Fail("alerts tail reads a running pipeline's alerts: pass --bootstrap-servers (or set Kafka:BootstrapServers).");
            }
            if (parse.GetValue(last) < 0)
            {
                return CliHost.Fail("--last must be 0 or more.");
            }
            var clients = new KafkaClientFactory(kafka.BootstrapServers!, kafka);
            var streamFilter = parse.GetValue(stream);
            var min = parse.GetValue(minScore);
            var json = parse.GetValue(format) == "json";
            bool Matches(Alert a) => a.Score >= min && (streamFilter is null || string.Equals(a.Stream, streamFilter, StringComparison.OrdinalIgnoreCase));

            var latest = new Queue<Alert>();
            var nextOffsets = new Dictionary<int, long>();
            try
            {
                await new TopicSnapshotReader(clients).ReadAsync(Topics.Alerts, result =>
                {
                    nextOffsets[result.Partition.Value] = result.Offset.Value + 1;
                    if (TryDecode(result, out var alert) && Matches(alert))
                    {
                        latest.Enqueue(alert);
                        if (latest.Count > parse.GetValue(last))
                        {
                            latest.Dequeue();
                        }
                    }
                }, cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                return CliHost.Fail(e.Message);
            }

            var fancy = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            if (json)
            {
                foreach (var a in latest)
                {
                    Console.WriteLine(JsonSerializer.Serialize(a, Json));
                }
            }
            else if (fancy)
            {
                var table = new Table().AddColumns("detected", "stream", "type", "entity", "score", "threshold", "detector", "model", "source");
                foreach (var a in latest)
                {
                    table.AddRow(Row(a).Select(Markup.Escape).ToArray());
                }
                AnsiConsole.Write(table);
            }
            else
            {
                Console.WriteLine(PlainHeader);
                foreach (var a in latest)
                {
                    Console.WriteLine(Plain(a));
                }
            }

            if (parse.GetValue(follow))
            {
                await Task.Run(() => Follow(clients, nextOffsets, Matches, json, cancellationToken), CancellationToken.None);
            }
            return 0;
        });
        return command;
    }

    private const string PlainHeader = "detected                  stream     type                 entity                      score  threshold  detector     model  source";

    private static string[] Row(Alert a) =>
    [
        a.DetectionTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
        a.Stream,
        a.AlertType,
        a.EntityKey,
        a.Score.ToString("0.000", CultureInfo.InvariantCulture),
        a.Threshold.ToString("0.000", CultureInfo.InvariantCulture),
        a.Detector,
        a.ModelVersion.ToString(CultureInfo.InvariantCulture),
        $"{a.SourceTopic}/{a.SourcePartition}@{a.SourceOffset}",
    ];

    private static string Plain(Alert a)
    {
        var r = Row(a);
        return $"{r[0],-25} {r[1],-10} {r[2],-20} {r[3],-26} {r[4],7} {r[5],10}  {r[6],-12} {r[7],5}  {r[8]}";
    }

    private static bool TryDecode(ConsumeResult<string?, byte[]> result, out Alert alert)
    {
        try
        {
            alert = AvroSingleObject.Decode<Alert>(result.Message.Value);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"skipped {result.Topic}/{result.Partition.Value}@{result.Offset.Value}: {e.Message}");
            alert = null!;
            return false;
        }
    }

    private static void Follow(KafkaClientFactory clients, Dictionary<int, long> nextOffsets, Func<Alert, bool> matches, bool json, CancellationToken cancellationToken)
    {
        var name = clients.Topic(Topics.Alerts);
        List<int> partitions;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = clients.BootstrapServers }).Build())
        {
            partitions = admin.GetMetadata(name, TimeSpan.FromSeconds(10)).Topics.Single(t => t.Topic == name).Partitions.Select(p => p.PartitionId).ToList();
        }
        using var consumer = clients.CreateConsumer("pipeline-alerts-tail-" + Guid.NewGuid().ToString("N"), "pipeline-alerts-tail");
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(name, p, nextOffsets.TryGetValue(p, out var o) ? new Offset(o) : Offset.Beginning)));
        try
        {
            while (true)
            {
                var result = consumer.Consume(cancellationToken);
                if (result?.Message?.Value is null || !TryDecode(result, out var alert) || !matches(alert))
                {
                    continue;
                }
                Console.WriteLine(json ? JsonSerializer.Serialize(alert, Json) : Plain(alert));
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            consumer.Close();
        }
    }
}
