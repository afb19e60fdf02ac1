namespace Pipeline.Detection;

/// <summary>A serialized model could not be read: wrong magic, another format version, unknown kind, checksum mismatch or a truncated/inconsistent payload.</summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception with a message naming the cause.</summary>
    public ModelFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying error.</summary>
    public ModelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public ModelFormatException()
        : base("The serialized detector model is invalid.")
    {
    }
}
