using System.Text.Json;
using Confluent.Kafka;
using Pipeline.Testing;

namespace Pipeline.EndToEnd.Tests;

/// <summary>Operators scale consumers by starting more processes in one group.</summary>
public sealed class ConsumerGroupTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TwoProcessesInOneGroup_SplitPartitions_AndTheSurvivorTakesOverWhenOneLeaves()
    {
        const int Partitions = 4;
        const int PerWave = 200;
        var topic = kafka.NewTopic(Partitions, "group");
        var group = $"g-{Guid.NewGuid():N}";
        string[] args = ["topics", "consume", topic, "--group", group, "--bootstrap-servers", kafka.BootstrapServers,
            "--set", "Kafka:Consumer:SessionTimeoutMs=6000"];
        using var first = ChildProcess.StartPipeline(args);
        first.WaitUntil(() => Assigned(first).Count == Partitions, Patience, "the first member to own every partition");
        using var second = ChildProcess.StartPipeline(args);
        WaitUntilSplit(first, second, Partitions);

        await ProduceWave(topic, "wave1", PerWave);
        first.WaitUntil(() => Values(first, "wave1").Count + Values(second, "wave1").Count >= PerWave, Patience, "wave 1 to be consumed");

        var firstWave = Values(first, "wave1");
        var secondWave = Values(second, "wave1");
        Assert.NotEmpty(firstWave);
        Assert.NotEmpty(secondWave);
        Assert.Empty(firstWave.Intersect(secondWave));
        Assert.Equal(PerWave, firstWave.Union(secondWave).Count());
        Assert.Empty(PartitionsSeen(first, "wave1").Intersect(PartitionsSeen(second, "wave1")));

        second.Interrupt();
        Assert.True(second.WaitForExit(Patience), "the second member did not leave on Ctrl+C");
        Assert.Equal(0, second.ExitCode);
        first.WaitUntil(() => Assigned(first).Count == Partitions, Patience, "the survivor to take over every partition");

        await ProduceWave(topic, "wave2", PerWave);
        first.WaitUntil(() => Values(first, "wave2").Count >= PerWave, Patience, "the survivor to consume all of wave 2");
        Assert.Equal(Partitions, PartitionsSeen(first, "wave2").Count);
    }

    private static void WaitUntilSplit(ChildProcess first, ChildProcess second, int partitions) =>
        first.WaitUntil(
            () => Assigned(first).Count > 0 && Assigned(second).Count > 0
                && Assigned(first).Count + Assigned(second).Count == partitions
                && !Assigned(first).Overlaps(Assigned(second)),
            Patience,
            "the two members to split the partitions");

    /// <summary>The partitions a member owns now, from its latest assignment report on stderr.</summary>
    private static HashSet<int> Assigned(ChildProcess member)
    {
        var owned = new HashSet<int>();
        foreach (var line in member.Stderr)
        {
            var (verb, parts) = line.Split(": ", 2) is [var v, var p] ? (v, p) : ("", "");
            var ids = parts.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
            if (verb == "assigned")
            {
                owned.UnionWith(ids);
            }
            else if (verb == "revoked")
            {
                owned.ExceptWith(ids);
            }
        }
        return owned;
    }

    private static List<JsonElement> Messages(ChildProcess member, string wave) =>
        [.. member.Stdout.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(m => m.GetProperty("key").GetString()!.StartsWith(wave, StringComparison.Ordinal))];

    private static HashSet<string> Values(ChildProcess member, string wave) =>
        [.. Messages(member, wave).Select(m => m.GetProperty("key").GetString()!)];

    private static HashSet<int> PartitionsSeen(ChildProcess member, string wave) =>
        [.. Messages(member, wave).Select(m => m.GetProperty("partition").GetInt32())];

    private async Task ProduceWave(string topic, string wave, int count)
    {
        using var producer = kafka.Clients.CreateProducer("wave-producer");
        for (var i = 0; i < count; i++)
        {
            var sample = ContractSamples.Reading with { DeviceId = $"{wave}-{i}" };
            producer.Produce(topic, new Message<string?, byte[]> { Key = $"{wave}-{i}", Value = ContractSamples.Encode(sample) });
        }
        producer.Flush(TimeSpan.FromSeconds(30));
        await Task.CompletedTask;
    }
}
