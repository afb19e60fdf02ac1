using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using Pipeline.Contracts;

namespace Pipeline.Platform.Kafka;

/// <summary>Sends bad input to <c>&lt;topic&gt;.dlq</c> as it came (original key, value and headers)
/// with headers naming the reason and the source position.</summary>
/// <remarks>Thread-safe. The caller commits the source offset only after
/// <see cref="PublishAsync"/> returns, so nothing is lost between the two topics.
/// <para>A copy must fit the producer's <c>message.max.bytes</c>, or librdkafka refuses it before it leaves the
/// process and no retry can ever deliver it. An oversize record is by definition larger than that, and a record just
/// under the limit can be pushed over it by the dead-letter headers. Such a copy keeps the first bytes of the value
/// that fit, and says so: <see cref="DeadLetterHeaders.ValueBytes"/> is the original length and
/// <see cref="DeadLetterHeaders.ValueSha256"/> the hash of the whole value; the source headers point at the original
/// record for as long as its topic retains it. Where the source's own headers leave no room even for that, they are
/// left out and <see cref="DeadLetterHeaders.HeadersDropped"/> says how many there were.</para></remarks>
public sealed class DeadLetterPublisher
{
    /// <summary>librdkafka's default <c>message.max.bytes</c>.</summary>
    public const int DefaultMessageMaxBytes = 1_000_000;

    // librdkafka's largest per-record overhead of a v2 record (length, attributes, timestamp and offset deltas, key
    // and value lengths, header count as varints: 36 bytes), and per header two varint lengths of up to 5 bytes.
    private const int RecordOverhead = 36;
    private const int HeaderOverhead = 10;

    // The two headers of a cut copy: their names, a length of up to 10 digits, a 64-digit hash and their overheads.
    private static readonly int CutHeaderBytes =
        (2 * HeaderOverhead) + DeadLetterHeaders.ValueBytes.Length + 10 + DeadLetterHeaders.ValueSha256.Length + 64;

    private readonly IProducer<string?, byte[]> _producer;
    private readonly int _messageMaxBytes;
    private long _count;

    /// <param name="producer">The producer the copies go through.</param>
    /// <param name="messageMaxBytes">That producer's <c>message.max.bytes</c> (<see cref="MessageMaxBytesOf"/>).</param>
    public DeadLetterPublisher(IProducer<string?, byte[]> producer, int messageMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messageMaxBytes, 1_000);
        _producer = producer;
        _messageMaxBytes = messageMaxBytes;
    }

    /// <summary>The <c>message.max.bytes</c> a producer built from <paramref name="config"/> enforces.</summary>
    public static int MessageMaxBytesOf(ProducerConfig config) => config.MessageMaxBytes ?? DefaultMessageMaxBytes;

    /// <summary>Messages dead-lettered by this instance.</summary>
    public long Count => Interlocked.Read(ref _count);

    public async Task PublishAsync(ConsumeResult<string?, byte[]> source, string reason, string detail, CancellationToken cancellationToken)
    {
        var key = source.Message.Key;
        var value = source.Message.Value ?? [];
        var headers = Headers(source, reason, detail, withSourceHeaders: true);
        var room = ValueRoom(key, headers);
        if (value.Length > room)
        {
            if (room < CutHeaderBytes)
            {
                // The source's own headers leave no room even for a cut copy: leave them out and say how many.
                var dropped = source.Message.Headers?.Count ?? 0;
                headers = Headers(source, reason, detail, withSourceHeaders: false);
                headers.Add(DeadLetterHeaders.HeadersDropped, Encoding.UTF8.GetBytes(dropped.ToString(CultureInfo.InvariantCulture)));
            }
            headers.Add(DeadLetterHeaders.ValueBytes, Encoding.UTF8.GetBytes(value.Length.ToString(CultureInfo.InvariantCulture)));
            headers.Add(DeadLetterHeaders.ValueSha256, Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(value))));
            value = value[..Math.Clamp(ValueRoom(key, headers), 0, value.Length)];
        }
        var message = new Message<string?, byte[]> { Key = key, Value = value, Headers = headers };
        await _producer.ProduceAsync(Topics.DeadLetterOf(source.Topic), message, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _count);
    }

    private static Headers Headers(ConsumeResult<string?, byte[]> source, string reason, string detail, bool withSourceHeaders)
    {
        var headers = new Headers();
        if (withSourceHeaders)
        {
            foreach (var header in source.Message.Headers ?? [])
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }
        headers.Add(DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes(reason));
        headers.Add(DeadLetterHeaders.Detail, Encoding.UTF8.GetBytes(detail));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(source.Topic));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        return headers;
    }

    /// <summary>How many value bytes a record with this key and these headers can carry under message.max.bytes.</summary>
    private int ValueRoom(string? key, Headers headers)
    {
        var used = RecordOverhead + (key is null ? 0 : Encoding.UTF8.GetByteCount(key));
        foreach (var header in headers)
        {
            used += HeaderOverhead + Encoding.UTF8.GetByteCount(header.Key) + (header.GetValueBytes()?.Length ?? 0);
        }
        return _messageMaxBytes - used;
    }
}
