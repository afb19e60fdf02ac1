using System.Diagnostics;
using Pipeline.Contracts;
using Pipeline.Processing;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Scoring;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Processing;

/// <summary>The scoring logic alone, without Kafka: the production <see cref="ScoringBatchProcessor"/>
/// over the pre-filled readings in batches of the configured size, on this thread. Reported as
/// process CPU time per event, which a shared machine's load does not inflate the way it inflates
/// wall time.</summary>
internal static class LogicProfile
{
    public sealed record Result(double CpuMicrosPerEvent, double WallMicrosPerEvent, long Alerts, IReadOnlyDictionary<string, TimeSpan> Stages);

    public static Result Run(IReadOnlyList<SimulatedMessage> messages, string inputTopic, string alertsTopic, IScoringModel model, int batchSize)
    {
        var registry = new ModelRegistry();
        registry.Offer(model);
        using var metrics = new ProcessingMetrics("bench-logic");
        var logic = new ScoringBatchProcessor("iiot", new Dictionary<string, string> { [inputTopic] = Topics.IiotTelemetry }, alertsTopic, registry, new ScoringOptions(), metrics);
        var batch = new List<InputRecord>(batchSize);
        var result = new BatchResult();
        long alerts = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            batch.Add(new InputRecord(inputTopic, i % Topics.InputPartitions, i, m.Key, m.Value, DateTimeOffset.FromUnixTimeMilliseconds(m.TimestampMs)));
            if (batch.Count == batchSize || i == messages.Count - 1)
            {
                result.Clear();
                logic.ProcessAsync(batch, result, CancellationToken.None).GetAwaiter().GetResult();
                alerts += result.Outputs.Count;
                batch.Clear();
            }
        }
        var wall = clock.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return new Result(cpuUsed.TotalMicroseconds / messages.Count, wall.TotalMicroseconds / messages.Count, alerts, metrics.StageTotals);
    }
}
