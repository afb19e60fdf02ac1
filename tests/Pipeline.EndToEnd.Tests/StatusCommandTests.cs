using System.Globalization;
using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Testing;

namespace Pipeline.EndToEnd.Tests;

/// <summary>An operator runs <c>pipeline status</c> against a live pipeline: lag grows while a
/// processor is stopped and drains to zero once it is back. Every step is a separate
/// <c>pipeline</c> process, as an operator would run them.</summary>
public sealed class StatusCommandTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Status_ProcessorStoppedThenRestarted_ShowsLagThenZero()
    {
        var prefix = $"status-{Guid.NewGuid():N}.";
        kafka.Broker.CreateTopic(prefix + Topics.IiotTelemetry, 2);
        var group = $"scoring-{Guid.NewGuid():N}";
        string[] common = ["--bootstrap-servers", kafka.BootstrapServers, "--set", $"Kafka:TopicPrefix={prefix}"];
        string[] processor =
        [
            "process", "scoring", "--stream", "iiot", "--group", group, .. common,
            // No model is published in this test: the processor passes events through and commits them.
            "--set", "Processing:Scoring:NoModel=PassThrough",
        ];

        await ProduceReadingsAsync(prefix, "first", 300);
        Assert.Equal(300, TotalLag(group, common));

        using (var first = ChildProcess.StartPipeline(processor))
        {
            WaitForLag(group, common, lag => lag == 0, first, "the processor to catch up with the first 300 readings");
            first.Interrupt();
            Assert.True(first.WaitForExit(Patience), "the processor did not stop on Ctrl+C");
            Assert.Equal(0, first.ExitCode);
        }

        await ProduceReadingsAsync(prefix, "second", 200);
        Assert.Equal(200, TotalLag(group, common));

        using var second = ChildProcess.StartPipeline(processor);
        WaitForLag(group, common, lag => lag == 0, second, "the restarted processor to catch up with the next 200 readings");
        second.Interrupt();
        Assert.True(second.WaitForExit(Patience), "the restarted processor did not stop on Ctrl+C");
    }

    private async Task ProduceReadingsAsync(string prefix, string wave, int count)
    {
        using var producer = kafka.Clients.CreateProducer("status-test");
        for (var i = 0; i < count; i++)
        {
            var reading = ContractSamples.Reading with { DeviceId = $"{wave}-{i % 7}", Sequence = i };
            await producer.ProduceAsync(prefix + Topics.IiotTelemetry, new Message<string?, byte[]> { Key = reading.DeviceId, Value = ContractSamples.Encode(reading) });
        }
    }

    private static void WaitForLag(string group, string[] common, Func<long, bool> wanted, ChildProcess processor, string what) =>
        processor.WaitUntil(() => wanted(TotalLag(group, common)), Patience, what);

    /// <summary>Runs <c>pipeline status</c> for the group and reads the group's total lag line.</summary>
    private static long TotalLag(string group, string[] common)
    {
        using var status = ChildProcess.StartPipeline(["status", "--group", $"{group}={Topics.IiotTelemetry}", "--no-peers", "--no-models", .. common]);
        Assert.True(status.WaitForExit(Patience), "pipeline status did not finish");
        Assert.True(status.ExitCode == 0, $"pipeline status exited {status.ExitCode}: {string.Join('\n', status.Stderr)}");
        var total = status.Stdout.Single(l => l.StartsWith(group, StringComparison.Ordinal) && l.Contains(" total ", StringComparison.Ordinal));
        return long.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], CultureInfo.InvariantCulture);
    }
}
