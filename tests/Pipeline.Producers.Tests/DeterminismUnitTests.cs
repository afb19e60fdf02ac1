using System.Security.Cryptography;
using System.Text;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Tests;

public sealed class DeterminismUnitTests
{
    [Fact]
    public void Stream_SameSeedTwice_ByteIdentical()
    {
        var first = Hash(new ScenarioWorld(TestScenarios.Small(), 42), 30_000);
        var second = Hash(new ScenarioWorld(TestScenarios.Small(), 42), 30_000);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Stream_DifferentSeed_DifferentBytes()
    {
        var first = Hash(new ScenarioWorld(TestScenarios.Small(), 42), 5_000);
        var second = Hash(new ScenarioWorld(TestScenarios.Small(), 43), 5_000);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Stream_SameWorldEnumeratedTwice_StartsOverIdentically()
    {
        var world = new ScenarioWorld(TestScenarios.Small(), 7);

        Assert.Equal(Hash(world, 5_000), Hash(world, 5_000));
    }

    [Fact]
    public void Stream_AllDomains_InSimulatedTimeOrderPerTopicKey()
    {
        var messages = TestScenarios.Take(new ScenarioWorld(TestScenarios.Small(), 1), ProducerDomains.Iiot | ProducerDomains.Endpoints, 20_000);
        var last = new Dictionary<(string, string), long>();
        foreach (var m in messages)
        {
            if (last.TryGetValue((m.Topic, m.Key), out var previous))
            {
                // IIoT readings of one factory may be up to an interval's device offsets apart within a tick.
                Assert.True(m.TimestampMs >= previous - 1000, $"{m.Topic}/{m.Key}: {m.TimestampMs} after {previous}");
            }
            last[(m.Topic, m.Key)] = Math.Max(previous, m.TimestampMs);
        }
        Assert.Contains(messages, m => m.Topic == Contracts.Topics.IiotTelemetry);
        Assert.Contains(messages, m => m.Topic == Contracts.Topics.EndpointExecutions);
    }

    private static string Hash(ScenarioWorld world, int count)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var n = 0;
        foreach (var m in world.Stream(ProducerDomains.All))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(m.Topic));
            sha.AppendData(Encoding.UTF8.GetBytes(m.Key));
            sha.AppendData(m.Value);
            sha.AppendData(Encoding.UTF8.GetBytes(m.Label ?? "-"));
            sha.AppendData(BitConverter.GetBytes(m.TimestampMs));
            if (++n == count)
            {
                break;
            }
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
