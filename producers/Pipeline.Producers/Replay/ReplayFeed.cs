using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Replay;

/// <summary>
/// The messages of a replayed file, with bad rows counted, remembered (the first
/// <see cref="MaxRememberedErrors"/>) and optionally written to a rejects file as they were read,
/// so they can be fixed and replayed. In strict mode the first bad row ends the stream with a
/// <see cref="ReplayRowException"/>.
/// </summary>
public sealed class ReplayFeed
{
    public const int MaxRememberedErrors = 20;

    private readonly ReplayReader _reader;
    private readonly string _path;
    private readonly string? _rejectsPath;
    private readonly bool _strict;
    private readonly List<(long Line, string Reason)> _errors = [];
    private long _accepted;
    private long _rejected;

    public ReplayFeed(string path, ReplayMapping mapping, string? rejectsPath = null, bool strict = false)
    {
        _path = path;
        _reader = new ReplayReader(path, mapping);
        _rejectsPath = rejectsPath;
        _strict = strict;
    }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Line number and reason of the first rejected rows.</summary>
    public IReadOnlyList<(long Line, string Reason)> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Raised for every rejected row (line number, reason), on the reading thread.</summary>
    public event Action<long, string>? RowRejected;

    public IEnumerable<SimulatedMessage> Messages(CancellationToken cancellationToken)
    {
        StreamWriter? rejects = null;
        try
        {
            foreach (var row in _reader.Read(cancellationToken))
            {
                if (!row.IsRejected)
                {
                    Interlocked.Increment(ref _accepted);
                    yield return row.Message;
                    continue;
                }
                if (_strict)
                {
                    throw new ReplayRowException(_path, row.LineNumber, row.Error!);
                }
                Interlocked.Increment(ref _rejected);
                lock (_errors)
                {
                    if (_errors.Count < MaxRememberedErrors)
                    {
                        _errors.Add((row.LineNumber, row.Error!));
                    }
                }
                RowRejected?.Invoke(row.LineNumber, row.Error!);
                if (_rejectsPath is not null)
                {
                    if (rejects is null)
                    {
                        rejects = new StreamWriter(_rejectsPath, append: false);
                        if (_reader.HeaderLine is { } header)
                        {
                            rejects.WriteLine(header);
                        }
                    }
                    rejects.WriteLine(row.RawLine);
                }
            }
        }
        finally
        {
            rejects?.Dispose();
        }
    }
}
