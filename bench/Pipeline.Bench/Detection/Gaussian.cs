namespace Pipeline.Bench.Detection;

internal static class Gaussian
{
    public static double Next(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static double LogNormal(Random random, double mu, double sigma) => Math.Exp(mu + (sigma * Next(random)));
}
