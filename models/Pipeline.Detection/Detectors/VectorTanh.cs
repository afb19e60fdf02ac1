using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>tanh of every lane of a <see cref="Vector{T}"/> of floats, for NED's hidden layers.</summary>
/// <remarks>
/// tanh(x) = 1 − 2 / (e^{2x} + 1), with e^y computed here in single precision: y = n·ln 2 + r with n = round(y / ln 2)
/// and |r| ≤ ln 2 / 2 (ln 2 split in two parts so that r keeps its bits), e^r from its Taylor series up to r⁷ (the
/// first omitted term is below 6·10⁻⁹ of e^r), and 2ⁿ put straight into the exponent bits. 2x is clamped to ±30,
/// where tanh is ±1 in float already. Absolute error against the exact tanh stays below 2.5·10⁻⁷
/// (<c>VectorTanhUnitTests</c>). This replaces <see cref="Vector.Exp(Vector{float})"/>, which computes in double and is a
/// generic library method: it ran as unoptimised tier-0 code for whole scoring runs on one core (see
/// docs/benchmarks-processing.md, "Tiered compilation on one core"), and this inlines into the optimised caller.
/// </remarks>
internal static class VectorTanh
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f; // exactly representable: n·Ln2High has no rounding error for |n| ≤ 44
    private const float Ln2Low = -2.12194440e-4f; // ln 2 − Ln2High
    private const float Limit = 30f;

    /// <summary>tanh of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Tanh(Vector<float> x)
    {
        var two = new Vector<float>(2f);
        var y = Vector.Min(Vector.Max(x * two, new Vector<float>(-Limit)), new Vector<float>(Limit));
        var n = Vector.Round(y * new Vector<float>(Log2E));
        var r = y - (n * new Vector<float>(Ln2High)) - (n * new Vector<float>(Ln2Low));
        // e^r = 1 + r(1 + r/2(1 + r/3(1 + r/4(1 + r/5(1 + r/6(1 + r/7)))))), Horner form of the Taylor series.
        var one = Vector<float>.One;
        var p = one + (r * new Vector<float>(1f / 7f));
        p = one + (r * new Vector<float>(1f / 6f) * p);
        p = one + (r * new Vector<float>(1f / 5f) * p);
        p = one + (r * new Vector<float>(1f / 4f) * p);
        p = one + (r * new Vector<float>(1f / 3f) * p);
        p = one + (r * new Vector<float>(1f / 2f) * p);
        p = one + (r * p);
        var scale = Vector.AsVectorSingle(Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23));
        var exp = p * scale;
        return one - (two / (exp + one));
    }
}
