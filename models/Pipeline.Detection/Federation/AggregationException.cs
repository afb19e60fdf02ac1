namespace Pipeline.Detection;

/// <summary>A federated aggregation was refused; <see cref="Reason"/> and <see cref="UpdateIndex"/> say why and which update.</summary>
public sealed class AggregationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AggregationException(AggregationFailure reason, int updateIndex, string message, Exception? innerException = null)
        : base($"Aggregation refused ({reason}, update {updateIndex}): {message}", innerException)
    {
        Reason = reason;
        UpdateIndex = updateIndex;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public AggregationException()
        : this(AggregationFailure.NoUpdates, -1, "no updates")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public AggregationException(string message)
        : this(AggregationFailure.MismatchedShape, -1, message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public AggregationException(string message, Exception innerException)
        : this(AggregationFailure.UnreadableModel, -1, message, innerException)
    {
    }

    /// <summary>The kind of failure.</summary>
    public AggregationFailure Reason { get; }

    /// <summary>Index of the offending update in the input list (−1 when not tied to one update).</summary>
    public int UpdateIndex { get; }
}
