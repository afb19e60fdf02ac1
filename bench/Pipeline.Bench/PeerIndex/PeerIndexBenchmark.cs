using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Server;
using Pipeline.PeerIndex;
using Pipeline.Testing;
using StackExchange.Redis;

namespace Pipeline.Bench.PeerIndex;

/// <summary>
/// The <c>peer-index</c> benchmark mode: the DTS experiment (Single vs RoundRobin vs
/// DynamicThrottle over embedded ledger peers, homogeneous and with one busy peer) and the index
/// alone against redis-server; the verify queries go in-process or through each peer's Fabric
/// Gateway over gRPC (<c>--transport</c>), or both in turn. Starts its own redis-server on a free loopback port and its own
/// ledger in a temporary directory; prints tables; never passes or fails.
/// </summary>
public static class PeerIndexBenchmark
{
    /// <summary>Runs the mode; returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        DtsBenchOptions options;
        try
        {
            options = DtsBenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }

        // Blocking service time inside the peers holds pool threads; give the pool room up front.
        ThreadPool.GetMinThreads(out var worker, out var io);
        ThreadPool.SetMinThreads(Math.Max(worker, (options.Peers * options.WorkerSlots) + 64), io);

        await using var redis = new RedisServer();
        await redis.StartAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(
            PeerIndexConnection.CreateConfiguration(redis.Endpoint)).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"redis-server {redis.Endpoint} (pid {redis.ProcessId}); {Environment.ProcessorCount} cores; load average at start {LoadAverage()}"));

        if (!options.SkipExperiment)
        {
            await RunExperimentAsync(options, connection, redis.ProcessId ?? 0, cancellationToken).ConfigureAwait(false);
        }

        if (!options.SkipIndexAlone)
        {
            await RunIndexAloneAsync(options, connection, redis.Port, cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task RunExperimentAsync(DtsBenchOptions options, IConnectionMultiplexer connection, int redisPid, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "pipeline-bench-ledger-" + Guid.NewGuid().ToString("N"));
        try
        {
            var ledgerOptions = new LedgerOptions
            {
                DataDirectory = directory,
                Peers = options.Peers,
                WorkerSlots = options.WorkerSlots,
                SyncWrites = false,
                MemoryBudgetBytes = 1L << 30,
            };
            var contract = new ServiceTimeContract(new WhitelistContract(), options.ServiceTime, options.BusyServiceTime);
            await using var ledger = await LedgerNetwork.StartAsync(ledgerOptions, contract, cancellationToken: cancellationToken).ConfigureAwait(false);
            var hashes = await SeedAsync(ledger, options.ExecutablesPerLaunch, cancellationToken).ConfigureAwait(false);
            var load = ledger.Peers[0].GetLoad();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ledger: {options.Peers} embedded peers x {options.WorkerSlots} worker slots, service time {options.ServiceTime.TotalMilliseconds} ms/query, {hashes.Count} whitelisted executables at height {ledger.Height}; idle RAM {load.RamPercent:F1} % of budget"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"each user launches once and needs {options.ExecutablesPerLaunch} executables verified (VerifyExecutions); {options.Dispatchers} dispatchers x {options.MaxInFlightPerDispatcher} in flight; cell time box {(options.CellDuration > TimeSpan.Zero ? $"{options.CellDuration.TotalSeconds} s" : "none (run to completion)")}"));
            Console.WriteLine();

            await using var gateways = options.Transports.Contains(DtsTransport.Gateway)
                ? await EmbeddedPeerGateways.StartAsync(ledger, "Org1MSP", MspLayout.User, loggerFactory: null, cancellationToken).ConfigureAwait(false)
                : null;
            var cell = new DtsCell(options, connection, redisPid, ledger, hashes, gateways);
            var results = new List<DtsCellResult>();
            foreach (var transport in options.Transports)
            {
                Console.WriteLine(TransportHeader(transport, gateways));
                Console.Error.WriteLine(TransportHeader(transport, gateways));
                await cell.WarmUpAsync(transport, cancellationToken).ConfigureAwait(false);
            }

            // Every cell runs once per transport back to back, so both see the same machine load.
            async Task RunSetAsync(int users, int busySlots)
            {
                foreach (var (strategy, perQuery) in Cells(options))
                {
                    foreach (var transport in options.Transports)
                    {
                        var result = await cell.RunAsync(transport, strategy, users, busySlots, maxReplicas: 0, perQuery, cancellationToken).ConfigureAwait(false);
                        results.Add(result);
                        Console.Error.WriteLine(Row(result, options));
                    }
                }
            }

            foreach (var users in options.Users)
            {
                await RunSetAsync(users, busySlots: 0).ConfigureAwait(false);
            }

            var heteroUsers = options.Users.Max();
            foreach (var busy in options.BusySlots)
            {
                await RunSetAsync(heteroUsers, busy).ConfigureAwait(false);
            }

            if (options.ScaleReplicas > 0)
            {
                foreach (var transport in options.Transports)
                {
                    // Last: the replicas it adds stay in the ledger network (a later scale cell adds its own).
                    var scaled = await cell.RunAsync(transport, PeerSelectionStrategy.DynamicThrottle, heteroUsers, busySlots: 0, maxReplicas: options.ScaleReplicas, perQueryIndex: false, cancellationToken).ConfigureAwait(false);
                    results.Add(scaled);
                    Console.Error.WriteLine(Row(scaled, options));
                }
            }

            Console.WriteLine($"load average at end of experiment {LoadAverage()}");
            foreach (var transport in options.Transports)
            {
                PrintTable(results.Where(r => r.Transport == transport).ToList(), options, transport);
            }

            if (options.Transports.Length > 1)
            {
                PrintTransportCost(results, options);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static IEnumerable<(PeerSelectionStrategy Strategy, bool PerQuery)> Cells(DtsBenchOptions options)
    {
        yield return (PeerSelectionStrategy.Single, false);
        yield return (PeerSelectionStrategy.RoundRobin, false);
        yield return (PeerSelectionStrategy.DynamicThrottle, false);
        if (options.ComparePerQuery)
        {
            yield return (PeerSelectionStrategy.DynamicThrottle, true);
        }
    }

    private static async Task RunIndexAloneAsync(DtsBenchOptions options, IConnectionMultiplexer connection, int port, CancellationToken cancellationToken)
    {
        Console.WriteLine();
        Console.WriteLine($"Index alone (D_THROTTLE over 4 registered peers; each call is one ReleaseThenSelect Lua call; load average {LoadAverage()}):");
        Console.WriteLine("| mode | lookups/call | calls in flight | calls/s | lookups/s | call p50 us | call p99 us | redis-benchmark, same script: calls/s | ours / redis-benchmark |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        var commands = new List<string>();
        foreach (var (batch, concurrency, requests) in new[] { (1, 64, 100_000), (options.ExecutablesPerLaunch, 16, 20_000) })
        {
            var index = await IndexAloneBenchmark.RegisterAsync(connection, 4, cancellationToken).ConfigureAwait(false);
            var r = await IndexAloneBenchmark.RunAsync(index, batch, concurrency, options.IndexAloneDuration, cancellationToken).ConfigureAwait(false);
            var same = await IndexAloneBenchmark.RedisBenchmarkScriptAsync(connection, index, port, batch, concurrency, requests, cancellationToken).ConfigureAwait(false);
            commands.Add($"{same.Command}  =>  {same.Summary}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Mode} | {r.Batch} | {r.Concurrency} | {r.CallsPerSecond:N0} | {r.LookupsPerSecond:N0} | {r.P50Micros:F0} | {r.P99Micros:F0} | {same.CallsPerSecond:N0} | {r.CallsPerSecond / same.CallsPerSecond:F2} |"));
        }

        var eval = await IndexAloneBenchmark.RedisBenchmarkEvalAsync(port, 64, cancellationToken).ConfigureAwait(false);
        commands.Add($"{eval.Command}  =>  {eval.Summary}");
        Console.WriteLine();
        foreach (var command in commands)
        {
            Console.WriteLine(command);
        }

        Console.WriteLine($"load average at end {LoadAverage()}");
    }

    private static async Task<IReadOnlyList<string>> SeedAsync(LedgerNetwork ledger, int executables, CancellationToken cancellationToken)
    {
        var admin = ClientIdentity.Admin("bench-admin", "Org1MSP");
        var hashes = Enumerable.Range(0, executables)
            .Select(i => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"chrome/{i}.exe"))))
            .ToList();
        var submits = hashes.Select((hash, i) => ledger.SubmitAsync(
            WhitelistFunctions.CreateAsset,
            [hash, i == 0 ? "chrome" : $"chrome-module-{i}", "120.0", "windows", i % 10 == 0 ? OwnerRoles.Admin : OwnerRoles.User],
            admin,
            cancellationToken));
        await Task.WhenAll(submits).ConfigureAwait(false);
        return hashes;
    }

    private static string Row(DtsCellResult r, DtsBenchOptions options) => string.Create(CultureInfo.InvariantCulture,
        $"| {TransportName(r.Transport)} | {r.Strategy} | {PeerColumn(r, options)} | {r.Users} | {r.Queries:N0} | {r.Seconds:F1} | {r.QueriesPerSecond:N0} | {r.SecondsPer50k:F1} | {r.LookupP50Micros:F0} | {r.LookupP99Micros:F0} | {r.PeakLoadPercent:F0} | {r.PeakOccupancyPercent:F0} | {r.MeanOccupancyPercent:F0} | {r.OverloadSamples} | {r.BusyPeerShare * 100:F0} | {r.LaunchesDone} | {FormatSeconds(r.LaunchP50Seconds)} | {r.NoCapacityAnswers:N0} | {r.FailedQueries:N0} |");

    private static string TransportName(DtsTransport transport) => transport == DtsTransport.Gateway ? "gateway" : "inprocess";

    private static string TransportHeader(DtsTransport transport, EmbeddedPeerGateways? gateways) => transport == DtsTransport.Gateway
        ? $"transport: gateway (each verify is a proposal signed as {gateways!.ClientIdentity.MspId} user, sent with the C# Fabric Gateway client over gRPC to the chosen peer's Gateway service, which checks the creator and the signature before evaluating; gateways {string.Join(", ", gateways.Endpoints.Select(e => $"{e.PeerId}={e.Address}"))}); load average {LoadAverage()}"
        : $"transport: inprocess (each verify calls LedgerPeer.EvaluateAsync on the chosen peer directly); load average {LoadAverage()}";

    /// <summary>The 1-minute load average (other work on this machine skews every figure).</summary>
    internal static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string PeerColumn(DtsCellResult r, DtsBenchOptions options) => string.Create(CultureInfo.InvariantCulture,
        $"{r.PeersAtStart}{(r.PeersAtEnd != r.PeersAtStart ? $"->{r.PeersAtEnd} (scaler)" : string.Empty)}{(r.BusySlots > 0 ? $", peer0 {r.BusySlots}/{options.WorkerSlots} busy" : " equal")}");

    private static string FormatSeconds(double seconds) =>
        double.IsNaN(seconds) ? "-" : seconds.ToString("F2", CultureInfo.InvariantCulture);

    private static void PrintTable(List<DtsCellResult> results, DtsBenchOptions options, DtsTransport transport)
    {
        Console.WriteLine();
        Console.WriteLine($"Transport {TransportName(transport)}:");
        Console.WriteLine("| transport | strategy | peers | users | queries | s | queries/s | s per 50k | lookup p50 us | lookup p99 us | peak CPU % | peak occupancy % | mean occupancy % | samples > 80 % | to peer0 % | launches done | launch p50 s | no-capacity answers | failed queries |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Console.WriteLine(Row(r, options));
        }

        Console.WriteLine();
        Console.WriteLine("Where the time goes (per cell, same order):");
        Console.WriteLine("| transport | strategy | peers | users | index calls / query | kept reservations % | refill gap p50 us | refill gap mean us | refill gap p99 us | query p50 us (wait + service) | query p99 us | bench CPU cores | redis CPU cores |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var p = r.Profile;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {TransportName(r.Transport)} | {r.Strategy} | {PeerColumn(r, options)} | {r.Users} | {p.IndexCallsPerQuery:F2} | {p.KeptShare * 100:F0} | {p.GapP50Micros:F0} | {p.GapMeanMicros:F0} | {p.GapP99Micros:F0} | {p.EvaluateP50Micros:F0} | {p.EvaluateP99Micros:F0} | {p.BenchCores:F2} | {p.RedisCores:F2} |"));
        }

        Console.WriteLine();
        Console.WriteLine($"Ratios (queries/s, transport {TransportName(transport)}):");
        foreach (var users in options.Users)
        {
            var at = results.Where(r => r.Users == users && r.BusySlots == 0 && r.PeersAtEnd == r.PeersAtStart).ToDictionary(r => r.Strategy);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  equal peers, {users} users: DynamicThrottle/Single = {Ratio(at, "DynamicThrottle", "Single")}, DynamicThrottle/RoundRobin = {Ratio(at, "DynamicThrottle", "RoundRobin")}{PerQueryRatio(at)}"));
        }

        var scaledCell = results.FirstOrDefault(r => r.PeersAtEnd != r.PeersAtStart);
        var baseline = results.FirstOrDefault(r => r.Strategy == "DynamicThrottle" && r.BusySlots == 0 && r.Users == options.Users.Max() && r.PeersAtEnd == r.PeersAtStart);
        if (scaledCell is not null && baseline is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  scale-up, {scaledCell.Users} users: peers {scaledCell.PeersAtStart} -> {scaledCell.PeersAtEnd}, DynamicThrottle with scaler / without = {scaledCell.QueriesPerSecond / baseline.QueriesPerSecond:F2}"));
        }

        foreach (var busy in options.BusySlots)
        {
            var hetero = results.Where(r => r.BusySlots == busy).ToDictionary(r => r.Strategy);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  peer0 busy ({busy}/{options.WorkerSlots} slots held by background work), {options.Users.Max()} users: DynamicThrottle/Single = {Ratio(hetero, "DynamicThrottle", "Single")}, DynamicThrottle/RoundRobin = {Ratio(hetero, "DynamicThrottle", "RoundRobin")}{PerQueryRatio(hetero)}"));
        }

        // D_THROTTLE admits a peer only below the available line and a query adds QueryCost, so with
        // slots of exactly QueryCost it runs at most floor-below(available / cost) + 1 slots per peer.
        var availableBelow = new PeerIndexOptions().AvailableBelowPercent;
        var admitted = Math.Ceiling(availableBelow / (100.0 / options.WorkerSlots));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ceiling with equal peers: D_THROTTLE runs at most {admitted}/{options.WorkerSlots} slots per peer (admitted only below {availableBelow} %, one query = {100.0 / options.WorkerSlots:F1} % of a peer), so at the same queries/s per slot as Single's one peer (all {options.WorkerSlots} slots, queued) DynamicThrottle/Single <= {options.Peers} x {admitted}/{options.WorkerSlots} = {options.Peers * admitted / options.WorkerSlots:F2}"));
        foreach (var users in options.Users)
        {
            var at = results.Where(r => r.Users == users && r.BusySlots == 0 && r.PeersAtEnd == r.PeersAtStart).ToDictionary(r => r.Strategy);
            if (at.TryGetValue("Single", out var single) && at.TryGetValue("DynamicThrottle", out var dts))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {users} users: queries/s per slot: Single {single.QueriesPerSecond / options.WorkerSlots:F0}, DynamicThrottle {dts.QueriesPerSecond / (options.Peers * admitted):F0} (of its {options.Peers * admitted} admitted slots)"));
            }
        }
    }

    /// <summary>The same cells over both transports side by side: what the gRPC path costs against in-process calls.</summary>
    private static void PrintTransportCost(List<DtsCellResult> results, DtsBenchOptions options)
    {
        Console.WriteLine();
        Console.WriteLine("Transport cost (same cells, gateway against inprocess):");
        Console.WriteLine("| strategy | peers | users | inprocess queries/s | gateway queries/s | gateway / inprocess | inprocess query p50 / p99 us | gateway query p50 / p99 us | inprocess launch p50 s | gateway launch p50 s | inprocess bench CPU cores | gateway bench CPU cores | inprocess bench CPU us / query | gateway bench CPU us / query | gateway failed queries |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var inProcess = results.Where(r => r.Transport == DtsTransport.InProcess).ToList();
        var gateway = results.Where(r => r.Transport == DtsTransport.Gateway).ToList();
        var ratios = new List<double>();
        for (var i = 0; i < Math.Min(inProcess.Count, gateway.Count); i++)
        {
            // Both sets ran the same cells in the same order.
            var a = inProcess[i];
            var g = gateway[i];
            var ratio = g.QueriesPerSecond / a.QueriesPerSecond;
            ratios.Add(ratio);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {a.Strategy} | {PeerColumn(a, options)}{(g.PeersAtEnd != a.PeersAtEnd ? $" / gateway {g.PeersAtStart}->{g.PeersAtEnd}" : string.Empty)} | {a.Users} | {a.QueriesPerSecond:N0} | {g.QueriesPerSecond:N0} | {ratio:F2} | {a.Profile.EvaluateP50Micros:F0} / {a.Profile.EvaluateP99Micros:F0} | {g.Profile.EvaluateP50Micros:F0} / {g.Profile.EvaluateP99Micros:F0} | {FormatSeconds(a.LaunchP50Seconds)} | {FormatSeconds(g.LaunchP50Seconds)} | {a.Profile.BenchCores:F2} | {g.Profile.BenchCores:F2} | {CpuMicrosPerQuery(a):F0} | {CpuMicrosPerQuery(g):F0} | {g.FailedQueries:N0} |"));
        }

        if (ratios.Count > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  gateway / inprocess queries/s over {ratios.Count} cells: median {Percentiles.Of(ratios, 50):F2}, min {ratios.Min():F2}, max {ratios.Max():F2}"));
        }
    }

    /// <summary>CPU time of the benchmark process (client, gateways and peers alike) per answered query.</summary>
    private static double CpuMicrosPerQuery(DtsCellResult r) => r.Profile.BenchCores * 1e6 / r.QueriesPerSecond;

    private static string PerQueryRatio(Dictionary<string, DtsCellResult> at) =>
        at.ContainsKey("DynamicThrottle per-query")
            ? $"; DynamicThrottle per-query/Single = {Ratio(at, "DynamicThrottle per-query", "Single")}, DynamicThrottle/DynamicThrottle per-query = {Ratio(at, "DynamicThrottle", "DynamicThrottle per-query")}"
            : string.Empty;

    private static string Ratio(Dictionary<string, DtsCellResult> at, string a, string b) =>
        at.TryGetValue(a, out var x) && at.TryGetValue(b, out var y)
            ? (x.QueriesPerSecond / y.QueriesPerSecond).ToString("F2", CultureInfo.InvariantCulture)
            : "-";
}
