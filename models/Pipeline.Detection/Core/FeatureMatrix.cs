namespace Pipeline.Detection;

/// <summary>A dense, row-major batch of feature vectors used to fit detectors.</summary>
/// <remarks>Values are validated once at construction: every value must be finite.</remarks>
public sealed class FeatureMatrix
{
    private readonly float[] _values;

    /// <summary>Wraps <paramref name="values"/> (not copied) as <paramref name="rows"/> × <paramref name="columns"/>.</summary>
    /// <exception cref="ArgumentException">Shape mismatch or a non-finite value.</exception>
    public FeatureMatrix(float[] values, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (rows <= 0 || columns <= 0)
        {
            throw new ArgumentException($"A feature matrix needs at least one row and one column (got {rows} x {columns}).");
        }

        if ((long)rows * columns != values.Length)
        {
            throw new ArgumentException($"Expected {rows} x {columns} = {(long)rows * columns} values, got {values.Length}.", nameof(values));
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Value at row {i / columns}, column {i % columns} is not finite ({values[i]}).", nameof(values));
            }
        }

        _values = values;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of rows (samples).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (features).</summary>
    public int Columns { get; }

    /// <summary>All values, row-major.</summary>
    public ReadOnlySpan<float> Values => _values;

    internal float[] Array => _values;

    /// <summary>One row.</summary>
    public ReadOnlySpan<float> Row(int index) => _values.AsSpan(index * Columns, Columns);

    /// <summary>Copies jagged rows into a matrix.</summary>
    public static FeatureMatrix FromRows(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("At least one row is required.", nameof(rows));
        }

        var columns = rows[0].Length;
        var values = new float[rows.Count * columns];
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].Length != columns)
            {
                throw new ArgumentException($"Row {r} has {rows[r].Length} values, row 0 has {columns}.", nameof(rows));
            }

            rows[r].CopyTo(values, r * columns);
        }

        return new FeatureMatrix(values, rows.Count, columns);
    }

    /// <summary>Returns the rows at <paramref name="indices"/> as a new matrix.</summary>
    public FeatureMatrix Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var values = new float[indices.Count * Columns];
        for (var i = 0; i < indices.Count; i++)
        {
            Row(indices[i]).CopyTo(values.AsSpan(i * Columns, Columns));
        }

        return new FeatureMatrix(values, indices.Count, Columns);
    }
}
