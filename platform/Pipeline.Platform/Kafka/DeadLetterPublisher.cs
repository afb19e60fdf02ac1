using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Pipeline.Contracts;

namespace Pipeline.Platform.Kafka;

/// <summary>Sends bad input to <c>&lt;topic&gt;.dlq</c> as it came (original key, value and headers)
/// with headers naming the reason and the source position.</summary>
/// <remarks>Thread-safe. The caller commits the source offset only after
/// <see cref="PublishAsync"/> returns, so nothing is lost between the two topics.</remarks>
public sealed class DeadLetterPublisher(IProducer<string?, byte[]> producer)
{
    private long _count;

    /// <summary>Messages dead-lettered by this instance.</summary>
    public long Count => Interlocked.Read(ref _count);

    public async Task PublishAsync(ConsumeResult<string?, byte[]> source, string reason, string detail, CancellationToken cancellationToken)
    {
        var headers = new Headers();
        foreach (var header in source.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }
        headers.Add(DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes(reason));
        headers.Add(DeadLetterHeaders.Detail, Encoding.UTF8.GetBytes(detail));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(source.Topic));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        var message = new Message<string?, byte[]> { Key = source.Message.Key, Value = source.Message.Value ?? [], Headers = headers };
        await producer.ProduceAsync(Topics.DeadLetterOf(source.Topic), message, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _count);
    }
}
