using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Publishing;

/// <summary>
/// Sends a stream of <see cref="SimulatedMessage"/>s to Kafka: key and value as given, the label in
/// the <c>label</c> header, the topic under the deployment prefix, paced by a token bucket.
/// </summary>
/// <remarks>
/// The caller owns the producer (configured with acks=all, idempotence, lz4 and a short linger by
/// the platform's client factory). Cancellation stops taking messages; what was produced is then
/// flushed. A full local queue is waited out by polling, never dropped.
/// </remarks>
public sealed class KafkaPublisher
{
    private const int PaceBatch = 64;

    private readonly IProducer<string?, byte[]> _producer;
    private readonly string _topicPrefix;
    private readonly Dictionary<string, string> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _labels = new(StringComparer.Ordinal);

    public KafkaPublisher(IProducer<string?, byte[]> producer, string topicPrefix = "")
    {
        _producer = producer;
        _topicPrefix = topicPrefix;
    }

    /// <summary>Publishes until the stream ends, a limit is reached or <paramref name="cancellationToken"/> fires,
    /// then flushes. Returns the progress object it updated (also passed in for live display).</summary>
    public async Task<PublishProgress> PublishAsync(IEnumerable<SimulatedMessage> messages, PublishLimits limits,
        PublishProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(limits);
        progress ??= new PublishProgress();
        var bucket = new TokenBucket(limits.Rate, Math.Max(PaceBatch, limits.Rate / 10));
        var clock = Stopwatch.StartNew();
        var report = progress;
        Action<DeliveryReport<string?, byte[]>> onDelivery = r =>
        {
            if (r.Error.IsError)
            {
                report.OnFailed($"{r.Topic}: {r.Error.Reason}");
            }
            else
            {
                report.OnDelivered();
            }
        };
        long sent = 0;
        try
        {
            foreach (var message in messages)
            {
                if (cancellationToken.IsCancellationRequested
                    || (limits.Count is { } max && sent >= max)
                    || (limits.Duration is { } duration && clock.Elapsed >= duration))
                {
                    break;
                }
                if (sent % PaceBatch == 0 && !bucket.IsUnlimited)
                {
                    await bucket.TakeAsync(PaceBatch, cancellationToken).ConfigureAwait(false);
                }
                Produce(message, onDelivery);
                progress.OnProduced(message.Topic, message.Label);
                sent++;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C while pacing: flush below.
        }
        finally
        {
            // Also when the stream itself fails (a strict replay): what was produced is delivered.
            _producer.Flush(limits.FlushTimeout);
        }
        return progress;
    }

    private void Produce(in SimulatedMessage message, Action<DeliveryReport<string?, byte[]>> onDelivery)
    {
        var kafkaMessage = new Message<string?, byte[]>
        {
            Key = message.Key,
            Value = message.Value,
            Headers = message.Label is null ? null : new Headers { { AttackLabels.HeaderName, LabelBytes(message.Label) } },
        };
        var topic = Topic(message.Topic);
        while (true)
        {
            try
            {
                _producer.Produce(topic, kafkaMessage, onDelivery);
                return;
            }
            catch (ProduceException<string?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Back-pressure: let deliveries complete, then try again.
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    private string Topic(string name)
    {
        if (!_topics.TryGetValue(name, out var full))
        {
            _topics[name] = full = _topicPrefix + name;
        }
        return full;
    }

    private byte[] LabelBytes(string label)
    {
        if (!_labels.TryGetValue(label, out var bytes))
        {
            _labels[label] = bytes = Encoding.UTF8.GetBytes(label);
        }
        return bytes;
    }
}
