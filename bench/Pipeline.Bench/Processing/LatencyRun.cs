using System.Diagnostics;
using Confluent.Kafka;
using Pipeline.Bench.PeerIndex;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;
using Pipeline.Producers.Publishing;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Processing;

/// <summary>Produce → alert latency: produces readings at a fixed rate (token bucket, ~1 ms ticks),
/// stamping each one just before <c>Produce</c>; an alert consumer assigned at the end of the alerts
/// topic stamps each alert as it arrives; afterwards alerts are joined to produced events on their
/// source partition and offset (the offset comes from the delivery report, so no payload is
/// altered). Only alerts of <c>version</c> count, and only for readings produced after the first
/// <see cref="WarmUp"/> of the run.</summary>
internal sealed class LatencyRun
{
    /// <summary>The start of every run that is produced at the run's rate but not counted. A run follows an idle spell
    /// (the previous run's settling, a model swap); with the producer connected beforehand, the readings of its first
    /// 20 ms were still the slowest 1 % of a 3 s run (produce → detection 22–50 ms against 11–12 ms at the median), which
    /// is the start, not the steady stream at the run's rate that the latency goal is about.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(500);

    /// <summary>fetch.wait.max.ms of the alert collector unless Kafka:Consumer:FetchWaitMaxMs is given.</summary>
    public const int CollectorFetchWaitMs = 5;

    private readonly KafkaClientFactory _clients;
    private readonly string _inputTopic;
    private readonly string _alertsTopic;

    public LatencyRun(KafkaClientFactory clients, string inputTopic, string alertsTopic)
    {
        _clients = clients;
        _inputTopic = inputTopic;
        _alertsTopic = alertsTopic;
    }

    public sealed record Result(
        long Produced,
        double AchievedRate,
        long Alerted,
        List<double> ProduceToAlert,
        List<double> ProduceToDetection,
        List<double> DetectionToArrival,
        List<TailTimeline.Sample> Samples,
        long QueueFull,
        List<double> ProduceToAck)
    {
        /// <summary>Where the slowest 1 % by produce → detection lost their time, against the middle (p40–p60): the
        /// mean of produce → the readings' producer's delivery report (its batching and the broker's append, as this
        /// process sees it) and of the rest up to detection (fetch, the consumer's queue, the scorer).</summary>
        public string TailSplit()
        {
            if (ProduceToDetection.Count < 100)
            {
                return "too few joined events";
            }
            var order = Enumerable.Range(0, ProduceToDetection.Count).OrderBy(i => ProduceToDetection[i]).ToArray();
            string Mean(IEnumerable<int> group)
            {
                var g = group.ToArray();
                var ack = g.Average(i => ProduceToAck[i]);
                return $"{g.Average(i => ProduceToDetection[i]):F1} ms = {ack:F1} to the delivery report + {g.Average(i => ProduceToDetection[i] - ProduceToAck[i]):F1} after it";
            }
            var n = order.Length;
            var start = Samples.Min(x => x.Produced);
            var when = order[(n * 99 / 100)..].Select(i => Stopwatch.GetElapsedTime(start, Samples[i].Produced).TotalSeconds).Order().ToArray();
            return $"slowest 1 %: {Mean(order[(n * 99 / 100)..])}, produced {when[0]:F2}–{when[^1]:F2} s into the run (median {when[when.Length / 2]:F2}); " +
                $"middle: {Mean(order[(n * 40 / 100)..(n * 60 / 100)])}";
        }
    }

    /// <param name="messages">Events to produce, in order (at most rate × seconds are used).</param>
    /// <param name="rate">Events per second.</param>
    /// <param name="duration">How long to produce.</param>
    /// <param name="version">Model version whose alerts are counted.</param>
    /// <param name="settled">Returns true once the scorer has processed everything produced.</param>
    /// <param name="ct">Stops the run.</param>
    public async Task<Result> RunAsync(
        IReadOnlyList<SimulatedMessage> messages, double rate, TimeSpan duration, long version, Func<long, bool> settled, CancellationToken ct)
    {
        var count = (int)Math.Min(messages.Count, rate * duration.TotalSeconds);
        var produceTicks = new long[count];
        var produceWallMs = new long[count];
        var ackTicks = new long[count];
        var positions = new long[count];
        Array.Fill(positions, -1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var arrivals = new List<(long Position, long Ticks, long DetectionMs, long ArrivalMs)>();
        var (collector, caughtUp) = StartAlertConsumer(version, arrivals, stop.Token);

        using (var producer = _clients.CreateProducer("bench-latency-producer"))
        {
            // A new producer connects, reads the topic's metadata and (idempotent) acquires a producer id before it
            // sends anything: the readings of a run's first milliseconds waited ~55 ms for that and were the slowest
            // 1 % of the run. Connect it before the first reading is stamped.
            using (var admin = new DependentAdminClientBuilder(producer.Handle).Build())
            {
                admin.GetMetadata(_inputTopic, TimeSpan.FromSeconds(10));
            }
            // ~1 ms worth per take; the bucket holds up to 50 ms worth, so a timer that wakes late is
            // caught up at once instead of lowering the rate.
            var chunk = Math.Max(1, (int)(rate / 1000));
            var bucket = new TokenBucket(rate, Math.Max(chunk, rate / 20));
            var clock = Stopwatch.StartNew();
            long queueFull = 0;
            for (var i = 0; i < count;)
            {
                var wait = bucket.Take(chunk);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }
                for (var k = 0; k < chunk && i < count; k++, i++)
                {
                    var index = i;
                    var m = messages[i];
                    produceTicks[i] = Stopwatch.GetTimestamp();
                    produceWallMs[i] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    var message = new Message<string?, byte[]> { Key = m.Key, Value = m.Value };
                    void Delivered(DeliveryReport<string?, byte[]> r)
                    {
                        if (!r.Error.IsError)
                        {
                            ackTicks[index] = Stopwatch.GetTimestamp();
                            positions[index] = Position(r.Partition.Value, r.Offset.Value);
                        }
                    }
                    while (true)
                    {
                        try
                        {
                            producer.Produce(_inputTopic, message, Delivered);
                            break;
                        }
                        catch (ProduceException<string?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                        {
                            // The broker side is not keeping up: wait for deliveries and offer the same event again.
                            // Its stamp stays, so the wait counts in its latency.
                            queueFull++;
                            producer.Poll(TimeSpan.FromMilliseconds(1));
                        }
                    }
                }
            }
            var achieved = count / clock.Elapsed.TotalSeconds;
            producer.Flush(TimeSpan.FromSeconds(30));

            var deadline = Stopwatch.StartNew();
            while (!settled(count) && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            // Every alert the scorer produced for these events is in the alerts topic once the scorer
            // has committed them; wait until the collector has read up to the current end.
            var ends = EndOffsets();
            while (!caughtUp(ends) && deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            await stop.CancelAsync().ConfigureAwait(false);
            await collector.ConfigureAwait(false);

            var byPosition = new Dictionary<long, int>(count);
            for (var i = 0; i < count; i++)
            {
                if (positions[i] >= 0)
                {
                    byPosition[positions[i]] = i;
                }
            }
            var seen = new HashSet<long>();
            List<double> toAlert = [], toDetection = [], toArrival = [], toAck = [];
            List<TailTimeline.Sample> samples = [];
            foreach (var a in arrivals)
            {
                if (!byPosition.TryGetValue(a.Position, out var i) || !seen.Add(a.Position))
                {
                    continue; // not one of this run's events, or a replayed duplicate (first arrival counts)
                }
                if (Stopwatch.GetElapsedTime(produceTicks[0], produceTicks[i]) < WarmUp)
                {
                    continue;
                }
                toAlert.Add(Stopwatch.GetElapsedTime(produceTicks[i], a.Ticks).TotalMilliseconds);
                toDetection.Add(a.DetectionMs - produceWallMs[i]);
                toArrival.Add(a.ArrivalMs - a.DetectionMs);
                toAck.Add(Stopwatch.GetElapsedTime(produceTicks[i], ackTicks[i]).TotalMilliseconds);
                samples.Add(new TailTimeline.Sample(produceTicks[i], a.Ticks, a.DetectionMs - produceWallMs[i], a.ArrivalMs - a.DetectionMs));
            }
            return new Result(count, achieved, toAlert.Count, toAlert, toDetection, toArrival, samples, queueFull, toAck);
        }
    }

    public static string Describe(List<double> samples)
    {
        if (samples.Count == 0)
        {
            return "no samples";
        }
        var p = Percentiles.Of(samples, 50, 95, 99, 100);
        return $"p50 {p[0],6:F1}  p95 {p[1],6:F1}  p99 {p[2],6:F1}  max {p[3],7:F1} ms";
    }

    private static long Position(int partition, long offset) => ((long)partition << 48) | offset;

    private Dictionary<int, long> EndOffsets()
    {
        var group = $"bench-latency-ends-{Guid.NewGuid():N}";
        using var probe = _clients.CreateConsumer(group, group);
        var metadata = Partitions(probe);
        return metadata.ToDictionary(p => p, p => probe.QueryWatermarkOffsets(new TopicPartition(_alertsTopic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    private List<int> Partitions(IConsumer<string?, byte[]> consumer)
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var topic = admin.GetMetadata(_alertsTopic, TimeSpan.FromSeconds(10)).Topics.Single();
        return [.. topic.Partitions.Select(p => p.PartitionId)];
    }

    private (Task Collector, Func<Dictionary<int, long>, bool> CaughtUp) StartAlertConsumer(
        long version, List<(long, long, long, long)> arrivals, CancellationToken ct)
    {
        var group = $"bench-latency-alerts-{Guid.NewGuid():N}";
        var config = _clients.ConsumerConfig(group, group);
        // The collector stands for an analyst's consumer; on the embedded broker a short fetch wait
        // keeps its own fetch from adding up to 500 ms (see BatchConsumerLoop.EmbeddedFetchWaitMs).
        config.FetchWaitMaxMs ??= CollectorFetchWaitMs;
        var consumer = new ConsumerBuilder<string?, byte[]>(config).Build();
        var partitions = Partitions(consumer);
        var start = partitions.Select(p => new TopicPartitionOffset(_alertsTopic, p,
            consumer.QueryWatermarkOffsets(new TopicPartition(_alertsTopic, p), TimeSpan.FromSeconds(10)).High)).ToList();
        consumer.Assign(start);
        var next = start.ToDictionary(p => p.Partition.Value, p => p.Offset.Value);
        var gate = new object();
        var collector = Task.Factory.StartNew(() =>
        {
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var record = consumer.Consume(TimeSpan.FromMilliseconds(50));
                    if (record?.Message is null)
                    {
                        continue;
                    }
                    var ticks = Stopwatch.GetTimestamp();
                    var arrivalMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    var alert = AvroSingleObject.Decode<Alert>(record.Message.Value);
                    lock (gate)
                    {
                        next[record.Partition.Value] = record.Offset.Value + 1;
                        if (alert.ModelVersion == version && alert.SourceTopic == _inputTopic)
                        {
                            arrivals.Add((Position(alert.SourcePartition, alert.SourceOffset), ticks, alert.DetectionTime.ToUnixTimeMilliseconds(), arrivalMs));
                        }
                    }
                }
            }
            finally
            {
                consumer.Close();
                consumer.Dispose();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        bool CaughtUp(Dictionary<int, long> ends)
        {
            lock (gate)
            {
                return ends.All(e => next.TryGetValue(e.Key, out var n) && n >= e.Value);
            }
        }

        return (collector, CaughtUp);
    }
}
