namespace Pipeline.Producers.Replay;

/// <summary>A replayed row that does not parse, with its line number; raised only in strict mode.</summary>
public sealed class ReplayRowException : Exception
{
    public ReplayRowException(string filePath, long lineNumber, string reason)
        : base($"{filePath}:{lineNumber}: {reason}")
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Reason = reason;
    }

    public string FilePath { get; }

    public long LineNumber { get; }

    public string Reason { get; }
}
