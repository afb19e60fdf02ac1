namespace Pipeline.Detection;

/// <summary>Why a federated aggregation was refused.</summary>
public enum AggregationFailure
{
    /// <summary>No updates were given.</summary>
    NoUpdates,

    /// <summary>An update's blob could not be read (corrupted, other format version).</summary>
    UnreadableModel,

    /// <summary>Updates of different detector kinds, or not the expected kind.</summary>
    WrongKind,

    /// <summary>Dimensions, layer sizes, cluster counts or other structural settings differ.</summary>
    MismatchedShape,

    /// <summary>A parameter or statistic is NaN or infinite.</summary>
    NonFiniteValue,

    /// <summary>A sample count is zero or negative.</summary>
    InvalidSampleCount,
}
