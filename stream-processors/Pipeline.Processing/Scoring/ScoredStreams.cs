using Pipeline.Contracts;

namespace Pipeline.Processing.Scoring;

/// <summary>The scoring streams and their input topics: chain = chain.blocks + chain.transactions,
/// iiot = iiot.telemetry.</summary>
public static class ScoredStreams
{
    public const string Chain = "chain";
    public const string Iiot = "iiot";

    /// <summary>Catalogue input topics of a stream (empty for an unknown name).</summary>
    public static IReadOnlyList<string> TopicsOf(string stream) => stream switch
    {
        Chain => [Topics.ChainBlocks, Topics.ChainTransactions],
        Iiot => [Topics.IiotTelemetry],
        _ => [],
    };

    /// <summary>Catalogue input topics of a stream.</summary>
    /// <exception cref="ArgumentException">Neither chain nor iiot.</exception>
    public static IReadOnlyList<string> Require(string stream)
    {
        var topics = TopicsOf(stream);
        return topics.Count > 0 ? topics : throw new ArgumentException($"--stream must be '{Chain}' or '{Iiot}', got '{stream}'", nameof(stream));
    }
}
