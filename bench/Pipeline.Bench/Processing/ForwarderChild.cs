using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;

namespace Pipeline.Bench.Processing;

/// <summary>
/// The controls of <c>processing-latency</c>, run as a child (<c>Pipeline.Bench processing-forwarder ...</c>) pinned
/// where the scorer would be. A plain Confluent consumer (the platform's consumer settings, the scorer's fetch wait:
/// <c>--fetch-wait-ms</c>, librdkafka's default when absent; <c>--topic-prefix</c> as Kafka:TopicPrefix)
/// reads the readings from the start of the topic. With <c>--every N</c> (N ≥ 1) it is the least a consumer can do
/// and still answer with an alert: it forwards every N-th record as a minimal <see cref="Alert"/> (source position,
/// detection time, the given model version) through a producer with the scorer's alert-producer settings (linger 0)
/// and lets librdkafka commit in the background; no decode, featurizing, scoring, batching or commit-after-
/// acknowledgement. Its produce → alert latency is the floor that the broker, the clients and the machine set. With
/// <c>--every 0</c> it is the consume-only loop of <c>processing</c> (<see cref="ConsumeOnlyLoop"/>): it reads and
/// drops, no produce, no commits. Prints <c>events N</c> (records read so far) on stdout every 20 ms for the parent.
/// </summary>
internal static class ForwarderChild
{
    public const string Mode = "processing-forwarder";

    public static Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var bootstrap = ProcessingBenchmark.StringArg(args, "--bootstrap-servers");
        if (bootstrap is null)
        {
            Console.Error.WriteLine($"{Mode}: --bootstrap-servers HOST:PORT is required (it is the control child of processing-latency)");
            return Task.FromResult(2);
        }
        var every = ProcessingBenchmark.Arg(args, "--every", 1);
        var group = ProcessingBenchmark.StringArg(args, "--group") ?? $"bench-forwarder-{Guid.NewGuid():N}";
        var version = long.Parse(ProcessingBenchmark.StringArg(args, "--model-version") ?? "0", CultureInfo.InvariantCulture);
        var fetchWait = ProcessingBenchmark.Arg(args, "--fetch-wait-ms", -1);
        int? fetchWaitMs = fetchWait >= 0 ? fetchWait : null;
        var prefix = ProcessingBenchmark.StringArg(args, "--topic-prefix") ?? "";
        var clients = new KafkaClientFactory(bootstrap, new KafkaOptions { BootstrapServers = bootstrap, TopicPrefix = prefix });
        return Task.Factory.StartNew(() => Run(clients, group, every, version, fetchWaitMs, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static int Run(KafkaClientFactory clients, string group, int every, long version, int? fetchWaitMs, CancellationToken ct)
    {
        var input = clients.Topic(Topics.IiotTelemetry);
        var alerts = clients.Topic(Topics.Alerts);
        var consumerConfig = clients.ConsumerConfig(group, group);
        if (fetchWaitMs is { } wait)
        {
            consumerConfig.FetchWaitMaxMs = wait;
        }
        consumerConfig.EnableAutoCommit = every > 0;
        var producerConfig = clients.ProducerConfig("bench-forwarder-out");
        producerConfig.LingerMs = 0;
        // The consume-only loop (--every 0) has no producer: its threads would share the measured core for nothing.
        using var producer = every > 0 ? new ProducerBuilder<string?, byte[]>(producerConfig).Build() : null;
        using var consumer = new ConsumerBuilder<string?, byte[]>(consumerConfig).Build();
        consumer.Subscribe(input);
        long count = 0;
        var reported = Stopwatch.StartNew();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var record = consumer.Consume(TimeSpan.FromMilliseconds(20));
                if (record?.Message is { } message)
                {
                    if (producer is not null && count % every == 0)
                    {
                        var alert = new Alert
                        {
                            AlertId = AlertIds.Create(record.Topic, record.Partition.Value, record.Offset.Value, version, "anomaly"),
                            EntityKey = message.Key ?? "",
                            Stream = "iiot",
                            AlertType = "anomaly",
                            Detector = "forwarder",
                            Score = 0,
                            Threshold = 0,
                            ModelVersion = version,
                            EventTime = message.Timestamp.UtcDateTime,
                            DetectionTime = DateTimeOffset.UtcNow,
                            SourceTopic = record.Topic,
                            SourcePartition = record.Partition.Value,
                            SourceOffset = record.Offset.Value,
                        };
                        producer.Produce(alerts, new Message<string?, byte[]> { Key = alert.EntityKey, Value = AvroSingleObject.Encode(alert) });
                    }
                    count++;
                }
                if (reported.ElapsedMilliseconds >= 20)
                {
                    Console.Out.WriteLine($"events {count.ToString(CultureInfo.InvariantCulture)}");
                    Console.Out.Flush();
                    reported.Restart();
                }
            }
        }
        finally
        {
            producer?.Flush(TimeSpan.FromSeconds(5));
            consumer.Close();
        }
        return 0;
    }
}
