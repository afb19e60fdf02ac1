using System.Diagnostics;
using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;

namespace Pipeline.Bench.Processing;

/// <summary>The baseline: a plain Confluent consumer with the processors' consumer settings (the
/// platform's <see cref="KafkaClientFactory.ConsumerConfig"/>, a fresh group) that reads the topic
/// from the beginning and does nothing with a record (<c>decode: false</c>) or only Avro-decodes it
/// into a <see cref="DeviceReading"/> (<c>decode: true</c>). No commits, no produce.</summary>
internal static class ConsumeOnlyLoop
{
    public static Task<double> RunAsync(KafkaClientFactory clients, string topic, long target, bool decode, CancellationToken ct) =>
        Task.Factory.StartNew(() => Run(clients, topic, target, decode, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static double Run(KafkaClientFactory clients, string topic, long target, bool decode, CancellationToken ct)
    {
        var group = $"bench-consume-only-{Guid.NewGuid():N}";
        using var consumer = clients.CreateConsumer(group, group);
        consumer.Subscribe(topic);
        long count = 0, firstAt = 0, measurements = 0;
        try
        {
            while (count < target)
            {
                ct.ThrowIfCancellationRequested();
                var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (record?.Message is null)
                {
                    continue;
                }
                if (count++ == 0)
                {
                    firstAt = Stopwatch.GetTimestamp();
                }
                if (decode)
                {
                    measurements += AvroSingleObject.Decode<DeviceReading>(record.Message.Value).Measurements.Count;
                }
            }
            var seconds = Stopwatch.GetElapsedTime(firstAt).TotalSeconds;
            GC.KeepAlive(measurements);
            // The first record starts the clock, as the first batch does for the scorer.
            return (count - 1) / seconds;
        }
        finally
        {
            consumer.Close();
        }
    }
}
