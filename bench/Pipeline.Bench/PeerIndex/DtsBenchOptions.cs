using System.Globalization;

namespace Pipeline.Bench.PeerIndex;

/// <summary>Command-line settings of the <c>peer-index</c> benchmark mode.</summary>
internal sealed class DtsBenchOptions
{
    public int[] Users { get; private set; } = [100, 250, 500, 1000];

    public int ExecutablesPerLaunch { get; private set; } = 350;

    /// <summary>Each user launches once: a setting verifies users × executables, at most this many.</summary>
    public int MaxQueries { get; private set; } = 350_000;

    /// <summary>Time box of one cell; 0 runs every setting to completion.</summary>
    public TimeSpan CellDuration { get; private set; } = TimeSpan.FromSeconds(5);

    public int Peers { get; private set; } = 4;

    public int WorkerSlots { get; private set; } = 10;

    public TimeSpan ServiceTime { get; private set; } = TimeSpan.FromMilliseconds(5);

    public int Dispatchers { get; private set; } = 4;

    public int MaxInFlightPerDispatcher { get; private set; } = 64;

    /// <summary>Heterogeneous cells: how many of peer0's slots background work holds, one cell set per value.</summary>
    public int[] BusySlots { get; private set; } = [6, 8];

    /// <summary>Service time of one background request on the busy peer (it holds a slot this long).</summary>
    public TimeSpan BusyServiceTime { get; private set; } = TimeSpan.FromSeconds(1);

    /// <summary>After a no-capacity answer a dispatcher waits this long before asking again.</summary>
    public TimeSpan RetryBackoff { get; private set; } = TimeSpan.FromMilliseconds(2);

    public TimeSpan IndexAloneDuration { get; private set; } = TimeSpan.FromSeconds(3);

    /// <summary>Replicas the scaler may add in the final scale-up cell (0 skips the cell).</summary>
    public int ScaleReplicas { get; private set; } = 2;

    public bool SkipExperiment { get; private set; }

    /// <summary>After each DynamicThrottle cell, run it again with every query going through the index (no kept reservations).</summary>
    public bool ComparePerQuery { get; private set; }

    public bool SkipIndexAlone { get; private set; }

    /// <summary>Transports to run the whole cell set over, in order (the second set reuses the same ledger and index).</summary>
    public DtsTransport[] Transports { get; private set; } = [DtsTransport.InProcess];

    public static string Usage => """
        peer-index [--users 100,250,500,1000] [--executables 350] [--max-queries 350000]
                   [--duration SECONDS per cell, 0 = run every setting to completion (default 5)]
                   [--peers 4] [--slots 10] [--service-ms 5] [--dispatchers 4] [--in-flight 64]
                   [--busy-slots 6,8] [--busy-ms 1000] [--backoff-ms 2]
                   [--scale-replicas 2] [--index-seconds 3] [--index-only] [--skip-index]
                   [--per-query (also run DynamicThrottle with an index round trip per query)]
                   [--transport inprocess|gateway|inprocess,gateway (default inprocess; a list runs every
                    cell once per transport and prints gateway / in-process ratios)]
        """;

    public static DtsBenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DtsBenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            int NextInt(int min) => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min
                ? v
                : throw new ArgumentException($"{args[i - 1]} '{args[i]}' must be an integer >= {min}.");
            double NextDouble(double min) => double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min
                ? v
                : throw new ArgumentException($"{args[i - 1]} '{args[i]}' must be a number >= {min}.");

            switch (args[i])
            {
                case "--users":
                    var list = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    options.Users = list.Select(u => int.TryParse(u, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                        ? n
                        : throw new ArgumentException($"--users entry '{u}' must be a positive integer.")).ToArray();
                    break;
                case "--executables": options.ExecutablesPerLaunch = NextInt(1); break;
                case "--max-queries": options.MaxQueries = NextInt(1); break;
                case "--duration": options.CellDuration = TimeSpan.FromSeconds(NextDouble(0)); break;
                case "--peers": options.Peers = NextInt(1); break;
                case "--slots": options.WorkerSlots = NextInt(1); break;
                case "--service-ms": options.ServiceTime = TimeSpan.FromMilliseconds(NextDouble(0)); break;
                case "--dispatchers": options.Dispatchers = NextInt(1); break;
                case "--in-flight": options.MaxInFlightPerDispatcher = NextInt(1); break;
                case "--busy-slots":
                    options.BusySlots = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(b => int.TryParse(b, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
                            ? n
                            : throw new ArgumentException($"--busy-slots entry '{b}' must be a non-negative integer (0 = no heterogeneous cells).")).Where(n => n > 0).ToArray();
                    break;
                case "--busy-ms": options.BusyServiceTime = TimeSpan.FromMilliseconds(NextDouble(1)); break;
                case "--backoff-ms": options.RetryBackoff = TimeSpan.FromMilliseconds(NextDouble(0.1)); break;
                case "--index-seconds": options.IndexAloneDuration = TimeSpan.FromSeconds(NextDouble(0.1)); break;
                case "--scale-replicas": options.ScaleReplicas = NextInt(0); break;
                case "--index-only": options.SkipExperiment = true; break;
                case "--skip-index": options.SkipIndexAlone = true; break;
                case "--per-query": options.ComparePerQuery = true; break;
                case "--transport":
                    options.Transports = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(t => t.ToLowerInvariant() switch
                        {
                            "inprocess" or "in-process" => DtsTransport.InProcess,
                            "gateway" => DtsTransport.Gateway,
                            _ => throw new ArgumentException($"--transport entry '{t}' must be inprocess or gateway."),
                        }).Distinct().ToArray();
                    if (options.Transports.Length == 0)
                    {
                        throw new ArgumentException("--transport needs inprocess, gateway or both (comma-separated).");
                    }

                    break;
                default: throw new ArgumentException($"unknown option '{args[i]}'.\n{Usage}");
            }
        }

        if (options.BusySlots.Any(b => b >= options.WorkerSlots))
        {
            throw new ArgumentException($"--busy-slots ({string.Join(',', options.BusySlots)}) must leave a free slot of --slots ({options.WorkerSlots}).");
        }

        return options;
    }
}
