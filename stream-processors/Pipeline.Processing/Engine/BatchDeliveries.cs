using Confluent.Kafka;
using Pipeline.Platform.Kafka;

namespace Pipeline.Processing.Engine;

/// <summary>A record a batch dead-letters: the consumed message, the reason header and a detail.</summary>
internal readonly record struct DeadLetter(ConsumeResult<string?, byte[]> Source, string Reason, string Detail);

/// <summary>What one processed batch hands to the producer (its outputs, then its dead letters) and the delivery of
/// each. A delivery the broker refused or that timed out is produced again from here, so a failed delivery never makes
/// the loop process the batch's records again: a processor with per-entity context would see those events twice.</summary>
internal sealed class BatchDeliveries
{
    private readonly IProducer<string?, byte[]> _producer;
    private readonly DeadLetterPublisher _deadLetterPublisher;
    private readonly OutputMessage[] _outputs;
    private readonly DeadLetter[] _deadLetters;
    private readonly Task[] _deliveries;
    private readonly CancellationToken _cancellationToken;

    public BatchDeliveries(
        IProducer<string?, byte[]> producer,
        DeadLetterPublisher deadLetterPublisher,
        IReadOnlyList<OutputMessage> outputs,
        IReadOnlyList<DeadLetter> deadLetters,
        CancellationToken cancellationToken)
    {
        _producer = producer;
        _deadLetterPublisher = deadLetterPublisher;
        _outputs = [.. outputs];
        _deadLetters = [.. deadLetters];
        _deliveries = new Task[_outputs.Length + _deadLetters.Length];
        _cancellationToken = cancellationToken;
    }

    /// <summary>Completes when every message handed over by the last <see cref="Produce"/> is acknowledged; faults when
    /// one of them was not.</summary>
    public Task Acknowledged { get; private set; } = Task.CompletedTask;

    /// <summary>The batch's dead letters (oversize records, then poison verdicts).</summary>
    public IReadOnlyList<DeadLetter> DeadLetters => _deadLetters;

    /// <summary>Messages that did not get an acknowledgement in the last attempt.</summary>
    public int Failed => _deliveries.Count(d => d is { IsCompleted: true, IsCompletedSuccessfully: false });

    /// <summary>Hands the batch's messages to the producer: on the first call all of them; after that, with
    /// <paramref name="all"/> false, only those without an acknowledgement (an acknowledged message is on the broker),
    /// with <paramref name="all"/> true every one (an aborted transaction discarded them all). Returns how many.</summary>
    public int Produce(bool all)
    {
        var count = 0;
        for (var i = 0; i < _deliveries.Length; i++)
        {
            if (!all && _deliveries[i] is { IsCompletedSuccessfully: true })
            {
                continue;
            }
            _deliveries[i] = i < _outputs.Length ? ProduceOutput(_outputs[i]) : Publish(_deadLetters[i - _outputs.Length]);
            count++;
        }
        Acknowledged = _deliveries.Length == 0 ? Task.CompletedTask : Task.WhenAll(_deliveries);
        return count;
    }

    private Task ProduceOutput(OutputMessage output) =>
        _producer.ProduceAsync(output.Topic, new Message<string?, byte[]> { Key = output.Key, Value = output.Value }, _cancellationToken);

    private Task Publish(DeadLetter letter) => _deadLetterPublisher.PublishAsync(letter.Source, letter.Reason, letter.Detail, _cancellationToken);
}
