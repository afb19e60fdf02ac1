using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class FingerprintPositionsUnitTests
{
    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 4096)]
    public void RandomOperations_SameAnswersAsDictionary(int seed, int keySpace)
    {
        // Few distinct keys force long probe runs and many backward shifts; clustered keys share home slots.
        var random = new Random(seed);
        var table = new FingerprintPositions();
        var reference = new Dictionary<ulong, long>();
        for (var step = 0; step < 200_000; step++)
        {
            var key = random.NextDouble() < 0.5 ? (ulong)random.Next(keySpace) : (ulong)random.Next(keySpace) << 40;
            switch (random.Next(3))
            {
                case 0:
                    table.Set(key, step);
                    reference[key] = step;
                    break;
                case 1:
                    Assert.Equal(reference.Remove(key), table.Remove(key));
                    break;
                default:
                    Assert.Equal(reference.TryGetValue(key, out var expected), table.TryGetValue(key, out var actual));
                    if (reference.ContainsKey(key)) Assert.Equal(expected, actual);
                    break;
            }

            Assert.Equal(reference.Count, table.Count);
        }

        foreach (var (key, value) in reference)
        {
            Assert.True(table.TryGetValue(key, out var actual));
            Assert.Equal(value, actual);
        }
    }

    [Fact]
    public void Set_NegativePosition_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FingerprintPositions().Set(1, -1));
}
