using System.Numerics;

namespace Pipeline.Detection.Tests;

public sealed class VectorTanhUnitTests
{
    [Fact]
    public void Tanh_DenseGridAndExtremes_WithinFloatPrecisionOfMathTanh()
    {
        var inputs = new List<float>();
        for (var x = -12.0; x <= 12.0; x += 0.0007)
        {
            inputs.Add((float)x);
        }
        inputs.AddRange([0f, -0f, 1e-30f, -1e-30f, 1e-6f, 14.9f, 15f, 15.1f, -15.1f, 50f, -50f, 1e30f, -1e30f,
            float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon]);
        var width = Vector<float>.Count;
        var worst = 0.0;
        var lanes = new float[width];
        for (var start = 0; start < inputs.Count; start += width)
        {
            for (var i = 0; i < width; i++)
            {
                lanes[i] = inputs[Math.Min(start + i, inputs.Count - 1)];
            }
            var result = VectorTanh.Tanh(new Vector<float>(lanes));
            for (var i = 0; i < width; i++)
            {
                var error = Math.Abs(result[i] - Math.Tanh(lanes[i]));
                Assert.True(error < 2.5e-7, $"tanh({lanes[i]:R}) = {result[i]:R}, exact {Math.Tanh(lanes[i]):R}");
                worst = Math.Max(worst, error);
            }
        }
        Assert.True(worst > 0, "the grid should exercise rounding somewhere");
    }

    [Fact]
    public void Tanh_IsOddWithinPrecisionAndSaturates()
    {
        var x = new Vector<float>(0.37f);
        Assert.InRange(VectorTanh.Tanh(x)[0] + VectorTanh.Tanh(-x)[0], -5e-7f, 5e-7f);
        Assert.Equal(1f, VectorTanh.Tanh(new Vector<float>(40f))[0]);
        Assert.Equal(-1f, VectorTanh.Tanh(new Vector<float>(-40f))[0]);
        Assert.Equal(0f, VectorTanh.Tanh(Vector<float>.Zero)[0]);
    }

    [Fact]
    public void Tanh_NaN_StaysNaN()
    {
        Assert.True(float.IsNaN(VectorTanh.Tanh(new Vector<float>(float.NaN))[0]));
    }
}
