namespace Pipeline.Contracts;

/// <summary>The topic catalogue of ARCHITECTURE.md: names, keys, value types, partitions, cleanup.</summary>
public static class Topics
{
    public const string ChainBlocks = "chain.blocks";
    public const string ChainTransactions = "chain.transactions";
    public const string IiotTelemetry = "iiot.telemetry";
    public const string EndpointExecutions = "endpoint.executions";
    public const string Alerts = "alerts";
    public const string EndpointVerdicts = "endpoint.verdicts";
    public const string FlRounds = "fl.rounds";
    public const string FlModelUpdates = "fl.model-updates";
    public const string FlGlobalModel = "fl.global-model";
    public const string ScaleRequests = "ops.scale-requests";

    /// <summary>Suffix of the dead-letter topic that receives a topic's bad input.</summary>
    public const string DeadLetterSuffix = ".dlq";

    /// <summary>Partitions of the high-volume input topics: the parallelism of their consumer groups.</summary>
    public const int InputPartitions = 6;

    /// <summary>Every topic the platform uses, dead-letter topics of the input topics included.</summary>
    public static IReadOnlyList<TopicDefinition> All { get; } = Build();

    public static string DeadLetterOf(string topic) => topic + DeadLetterSuffix;

    public static TopicDefinition Find(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"'{name}' is not in the topic catalogue", nameof(name));

    private static TopicDefinition[] Build()
    {
        TopicDefinition[] main =
        [
            new(ChainBlocks, "cluster id", typeof(BlockEvent), InputPartitions, "delete"),
            new(ChainTransactions, "cluster id", typeof(TransactionEvent), InputPartitions, "delete"),
            new(IiotTelemetry, "factory id", typeof(DeviceReading), InputPartitions, "delete"),
            new(EndpointExecutions, "endpoint id", typeof(EndpointExecution), InputPartitions, "delete"),
            new(Alerts, "entity key", typeof(Alert), 3, "delete"),
            new(EndpointVerdicts, "endpoint id", typeof(ExecutionVerdict), 3, "delete"),
            new(FlRounds, "model name", typeof(RoundAnnouncement), 1, "delete"),
            new(FlModelUpdates, "model name", typeof(ModelUpdate), 1, "delete"),
            new(FlGlobalModel, "model name", typeof(GlobalModel), 1, "compact"),
            new(ScaleRequests, "peer group", typeof(ScaleRequest), 1, "delete"),
        ];
        var deadLetters = main
            .Where(t => t.Partitions == InputPartitions || t.Name.StartsWith("fl.", StringComparison.Ordinal))
            .Select(t => new TopicDefinition(DeadLetterOf(t.Name), "original key", null, 1, "delete"));
        return [.. main, .. deadLetters];
    }
}
