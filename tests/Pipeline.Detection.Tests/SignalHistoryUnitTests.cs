using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class SignalHistoryUnitTests
{
    [Theory]
    [InlineData(1, 16)]
    [InlineData(3, 5)]
    [InlineData(4, 16)]
    [InlineData(7, 16)]
    [InlineData(8, 2)]
    [InlineData(9, 16)]
    [InlineData(17, 3)]
    public void MeansAndStds_AnyWidthAndFill_SameBitsAsScalarMeanAndStd(int signals, int window)
    {
        var random = new Random((signals * 100) + window);
        var history = new SignalHistory(signals, window);
        var values = new float[signals];
        var means = new float[signals];
        var stds = new float[signals];
        for (var step = 0; step < (3 * window) + 2; step++)
        {
            history.MeansAndStds(means, stds);
            for (var s = 0; s < signals; s++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(history.Mean(s)), BitConverter.SingleToInt32Bits(means[s]));
                Assert.Equal(BitConverter.SingleToInt32Bits(history.Std(s)), BitConverter.SingleToInt32Bits(stds[s]));
            }

            // Constant, integer, tiny and large-magnitude signals side by side.
            for (var s = 0; s < signals; s++)
            {
                values[s] = (s % 4) switch
                {
                    0 => 1.5f,
                    1 => random.Next(3),
                    2 => (float)(random.NextDouble() * 1e-6),
                    _ => (float)((random.NextDouble() - 0.5) * 1e7),
                };
            }

            history.Push(values, DateTimeOffset.UnixEpoch.AddSeconds(step), step, 0.01);
        }
    }
}
