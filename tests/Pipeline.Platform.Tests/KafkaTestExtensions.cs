using Confluent.Kafka;

namespace Pipeline.Platform.Tests;

internal static class KafkaTestExtensions
{
    /// <summary>Consumes until <paramref name="count"/> messages arrived or the deadline passed
    /// (then fails, saying how many came).</summary>
    public static List<ConsumeResult<TKey, TValue>> ConsumeExactly<TKey, TValue>(this IConsumer<TKey, TValue> consumer, int count, TimeSpan within)
    {
        var results = new List<ConsumeResult<TKey, TValue>>(count);
        var deadline = DateTime.UtcNow + within;
        while (results.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"received {results.Count} of {count} messages within {within.TotalSeconds:0} s");
            }
            var result = consumer.Consume(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500));
            if (result is not null)
            {
                results.Add(result);
            }
        }
        return results;
    }
}
