using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Dashboard;
using Pipeline.Platform.Kafka;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline evaluate</c>: detection quality of a run against the producers' labels.</summary>
internal static class EvaluateCommands
{
    /// <summary>Kafka header carrying the producer's ground-truth label.</summary>
    public const string LabelHeader = "label";

    private static readonly string[] DefaultSources = [Topics.ChainBlocks, Topics.ChainTransactions, Topics.IiotTelemetry, Topics.EndpointExecutions];

    public static Command Create()
    {
        var sources = new Option<string[]>("--source")
        {
            Description = "Labelled source topic to evaluate (repeatable; catalogue names, prefix applied). Default: chain.blocks, chain.transactions, iiot.telemetry, endpoint.executions.",
            AllowMultipleArgumentsPerToken = true,
        };
        var format = new Option<string>("--format") { Description = "table or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command(
            "evaluate",
            "Precision, recall, F1 and false-positive rate of the alerts against the labels of a run: reads every labelled source message " +
            "(the 'label' header: 'normal' or an attack type) and every alert, joins them on SourceTopic/SourcePartition/SourceOffset, " +
            "and reports per source topic, with the recall of each attack type. Reads by manual assignment: no consumer group moves.")
        {
            sources,
            format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var kafka = CliHost.Kafka(parse);
            if (kafka.UsesEmbeddedBroker)
            {
                return CliHost.Fail("evaluate reads a finished or running pipeline: pass --bootstrap-servers (or set Kafka:BootstrapServers).");
            }
            var clients = new KafkaClientFactory(kafka.BootstrapServers!, kafka);
            var reader = new TopicSnapshotReader(clients);
            var topics = parse.GetValue(sources) is { Length: > 0 } chosen ? chosen : DefaultSources;
            var events = new List<LabelledEvent>();
            var firstOffsets = new Dictionary<(string Topic, int Partition), long>();
            var alerts = new List<Alert>();
            long unlabelled = 0;
            try
            {
                foreach (var topic in topics)
                {
                    await reader.ReadAsync(topic, r =>
                    {
                        firstOffsets.TryAdd((r.Topic, r.Partition.Value), r.Offset.Value);
                        if (r.Message.Headers is { } headers && headers.TryGetLastBytes(LabelHeader, out var label))
                        {
                            events.Add(new LabelledEvent(r.Topic, r.Partition.Value, r.Offset.Value, Encoding.UTF8.GetString(label)));
                        }
                        else
                        {
                            unlabelled++;
                        }
                    }, cancellationToken);
                }
                await reader.ReadAsync(Topics.Alerts, r => alerts.Add(AvroSingleObject.Decode<Alert>(r.Message.Value)), cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                return CliHost.Fail(e.Message);
            }

            var report = AlertEvaluator.Evaluate(events, alerts, firstOffsets);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(new { report.Streams, report.UnmatchedAlerts, report.AlertsOnExpiredRecords, UnlabelledMessages = unlabelled }, new JsonSerializerOptions
                {
                    PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                    NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
                }));
                return 0;
            }
            Console.WriteLine(Format(report));
            Console.WriteLine($"alerts read: {alerts.Count}, alerts pointing at no labelled event: {report.UnmatchedAlerts}, source messages without a label header: {unlabelled}");
            if (report.AlertsOnExpiredRecords > 0)
            {
                Console.WriteLine($"alerts on source records the broker no longer keeps (retention; not counted above): {report.AlertsOnExpiredRecords} " +
                    "(the embedded broker keeps about 5 MiB per partition: evaluate long runs on a real cluster)");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The report as aligned text, one row per stream.</summary>
    public static string Format(EvaluationReport report)
    {
        static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("0.000", CultureInfo.InvariantCulture);
        // Rates of a few per ten thousand are the useful range here.
        static string FprText(double v) => double.IsNaN(v) ? "-" : v.ToString("0.0000", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"stream",-28} {"events",8} {"attacks",8} {"TP",7} {"FP",7} {"FN",7} {"precision",9} {"recall",7} {"F1",6} {"FPR",8}");
        foreach (var s in report.Streams)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{s.Stream,-28} {s.Events,8} {s.Attacks,8} {s.TruePositives,7} {s.FalsePositives,7} {s.FalseNegatives,7} {F(s.Precision),9} {F(s.Recall),7} {F(s.F1),6} {FprText(s.FalsePositiveRate),8}");
        }
        if (report.Streams.Any(s => s.ByAttack.Count > 0))
        {
            text.AppendLine("recall by attack type (alerted / events):");
            foreach (var s in report.Streams.Where(s => s.ByAttack.Count > 0))
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"  {s.Stream,-26} {string.Join("  ", s.ByAttack.Select(a => $"{a.Attack} {F(a.Recall)} ({a.Detected}/{a.Events})"))}");
            }
        }
        return text.ToString().TrimEnd();
    }
}
