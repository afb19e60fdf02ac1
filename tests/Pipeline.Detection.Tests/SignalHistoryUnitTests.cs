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

    [Fact]
    public void ClampToWindow_HalfFilled_ClampsToMeanPlusMinusSigmasAndFollowsASustainedChange()
    {
        var history = new SignalHistory(1, 8);
        float[] value = [100];
        for (var i = 0; i < 3; i++) history.Push([10 + i], DateTimeOffset.UnixEpoch, i, 0.01);

        history.ClampToWindow(value, 4);
        Assert.Equal(100f, value[0]); // 3 of 8: too few to judge

        history.Push([13], DateTimeOffset.UnixEpoch, 3, 0.01);
        history.ClampToWindow(value, 4);
        Assert.Equal(history.Mean(0) + (4 * history.Std(0)), value[0], 4); // 10..13: 11.5 + 4 · 1.29

        float[] low = [-1000];
        history.ClampToWindow(low, 4);
        Assert.Equal(history.Mean(0) - (4 * history.Std(0)), low[0], 4);

        // A real step to 1000 enters clamped, but each clamped value widens the window, so it catches up within a window or two.
        for (var i = 0; i < 24; i++)
        {
            float[] step = [1000];
            history.ClampToWindow(step, 4);
            history.Push(step, DateTimeOffset.UnixEpoch, 4 + i, 0.01);
        }

        Assert.Equal(1000f, history.Mean(0), 1);
    }

    [Fact]
    public void ClampToWindow_ConstantWindow_StillMovesByAThousandthOfTheMean()
    {
        var history = new SignalHistory(1, 4);
        for (var i = 0; i < 4; i++) history.Push([500], DateTimeOffset.UnixEpoch, i, 0.01);
        float[] value = [600];

        history.ClampToWindow(value, 4);

        Assert.Equal(500.5f, value[0]);
    }
}
