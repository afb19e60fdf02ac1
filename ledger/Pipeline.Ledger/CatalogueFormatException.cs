namespace Pipeline.Ledger;

/// <summary>A whitelist catalogue file could not be read; <see cref="Item"/> says where.</summary>
public sealed class CatalogueFormatException : Exception
{
    public CatalogueFormatException()
    {
    }

    public CatalogueFormatException(string message)
        : base(message)
    {
    }

    public CatalogueFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CatalogueFormatException(string item, string problem, Exception? innerException = null)
        : base($"{item}: {problem}", innerException)
    {
        Item = item;
    }

    /// <summary>Where the problem is, e.g. <c>line 12</c> or <c>apps[3]</c>.</summary>
    public string Item { get; } = string.Empty;
}
