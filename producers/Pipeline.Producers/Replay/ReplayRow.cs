using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Replay;

/// <summary>One data line of a replayed file: the message it became, or why it was rejected.</summary>
/// <param name="LineNumber">1-based line in the file.</param>
/// <param name="Message">The message; default when rejected.</param>
/// <param name="Error">Why the row was rejected; null when it parsed.</param>
/// <param name="RawLine">The line as read (written to the rejects file).</param>
public readonly record struct ReplayRow(long LineNumber, SimulatedMessage Message, string? Error, string RawLine)
{
    public bool IsRejected => Error is not null;
}
