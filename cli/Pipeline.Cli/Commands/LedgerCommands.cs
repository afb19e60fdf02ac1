using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Pipeline.Chaincode;
using Pipeline.Ledger;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Server;
using Pipeline.Platform;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline ledger</c>: run the embedded ledger peers, or verify a ledger directory.</summary>
internal static class LedgerCommands
{
    /// <summary>Exit code when a ledger directory fails verification.</summary>
    public const int CorruptLedger = 3;

    public static Command Create() => new("ledger", "Embedded whitelist ledger: hash-chained blocks, RocksDB world state, replicated peers.")
    {
        InitCommand(),
        UpCommand(),
        ServeCommand(),
        VerifyCommand(),
        BenchCommand(),
    };

    /// <summary>The shared --data-dir option (default: Ledger:DataDirectory).</summary>
    public static Option<string?> DataDirOption() => new("--data-dir")
    {
        Description = "Ledger data directory holding peer0, peer1, ... (default: Ledger:DataDirectory, data/ledger).",
    };

    /// <summary>Ledger options from configuration (section Ledger), with --data-dir applied.</summary>
    public static LedgerOptions Options(ParseResult parse, Option<string?> dataDir)
    {
        var options = CliHost.Configuration(parse).Bind<LedgerOptions>(LedgerOptions.SectionName);
        var dir = parse.GetValue(dataDir);
        if (!string.IsNullOrWhiteSpace(dir))
        {
            options.DataDirectory = dir;
        }

        return options;
    }

    /// <summary>Writes why a ledger could not be opened and returns the exit code.</summary>
    public static int OpenFailed(Exception ex) => ex switch
    {
        LedgerCorruptionException corrupt => Report(corrupt),
        IOException io => CliHost.Fail(io.Message),
        ArgumentException arg => CliHost.Fail(arg.Message),
        _ => throw ex,
    };

    private static int Report(LedgerCorruptionException ex)
    {
        Console.Error.WriteLine($"error: ledger verification failed at block {ex.BlockNumber} ({ex.FilePath}): {ex.Reason}");
        return CorruptLedger;
    }

    private static Command UpCommand()
    {
        var peers = new Option<int>("--peers") { Description = "Number of peers (peer0..peerN-1).", DefaultValueFactory = _ => 4 };
        var slots = new Option<int?>("--slots") { Description = "Worker slots per peer (default: Ledger:WorkerSlots, 4)." };
        var interval = new Option<double>("--interval") { Description = "Seconds between load lines.", DefaultValueFactory = _ => 2 };
        var dataDir = DataDirOption();
        var command = new Command(
            "up",
            "Start the peers and the orderer in the data directory (verifying existing block files), print where they are, " +
            "then print each peer's load (worker-slot CPU %, RAM % of budget, in-flight) until Ctrl+C.")
        {
            peers,
            slots,
            interval,
            dataDir,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var options = Options(parse, dataDir);
            options.Peers = parse.GetValue(peers);
            options.WorkerSlots = parse.GetValue(slots) ?? options.WorkerSlots;
            var seconds = parse.GetValue(interval);
            if (seconds is <= 0 or > 3600)
            {
                return CliHost.Fail($"--interval must be in (0, 3600] seconds, got {seconds}");
            }

            // Stop gracefully on Ctrl+C / SIGTERM even where the parser's own handler does not fire:
            // the peers close RocksDB and the block file cleanly (a hard kill is also safe, replayed on open).
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            cancellationToken = stopping.Token;

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stopping.Cancel();
            }

            using var logging = CliHost.Logging(LogLevel.Warning);
            LedgerNetwork network;
            try
            {
                network = await LedgerNetwork.StartAsync(options, loggerFactory: logging, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is LedgerCorruptionException or IOException or ArgumentException)
            {
                return OpenFailed(ex);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Console.WriteLine("stopped while opening the peers");
                return 0;
            }

            await using (network.ConfigureAwait(false))
            {
                Console.WriteLine($"ledger '{options.ChannelName}' in {Path.GetFullPath(options.DataDirectory)}: {network.Peers.Count} peers at height {network.Height}");
                foreach (var peer in network.Peers)
                {
                    Console.WriteLine($"  {peer.Id,-8} {peer.Directory}  slots={peer.WorkerSlots} last block {peer.LastBlockHash[..16]}");
                }

                Console.WriteLine("Ctrl+C stops. Other commands cannot open this directory while it runs.");
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
                try
                {
                    while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var loads = network.GetLoads();
                        Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} height {network.Height}  " + string.Join("  ", loads.Select(l =>
                            $"{l.PeerId} cpu {l.CpuPercent,5:F1}% ram {l.RamPercent,5:F1}% in-flight {l.InFlight}/{l.WorkerSlots} waiting {l.Waiting}")));
                    }
                }
                catch (OperationCanceledException)
                {
                    Console.WriteLine("stopping peers");
                }
            }

            return 0;
        });
        return command;
    }

    private static Command InitCommand()
    {
        var msps = new Option<string[]>("--msp")
        {
            Description = "MSP ids to create (repeatable).",
            DefaultValueFactory = _ => ["Org1MSP", "Org2MSP"],
            AllowMultipleArgumentsPerToken = true,
        };
        var force = new Option<bool>("--force") { Description = "Replace existing MSP material (clients holding the old certificates are refused afterwards)." };
        var dataDir = DataDirOption();
        var command = new Command(
            "init",
            "Generate the MSP material the embedded peers' Gateway services trust: per MSP a self-signed ECDSA P-256 CA and, issued by it, " +
            "admin (role=admin), user (role=user) and peer identities, as PEM files under <data-dir>/msp/<MspId>/ (cacerts/ca.pem, identities/<name>/cert.pem + key.pem).")
        {
            msps, force, dataDir,
        };
        command.SetAction((ParseResult parse) =>
        {
            var options = Options(parse, dataDir);
            try
            {
                foreach (var msp in parse.GetValue(msps) ?? [])
                {
                    MspGenerator.ValidateMspId(msp);
                    var files = MspGenerator.Generate(options.DataDirectory, msp, parse.GetValue(force));
                    Console.WriteLine($"{msp}: CA and admin, user, peer identities ({files.Count} files) in {Path.GetFullPath(Path.Combine(MspLayout.Root(options.DataDirectory), msp))}");
                }
            }
            catch (Exception ex) when (ex is IOException or ArgumentException)
            {
                return CliHost.Fail(ex.Message);
            }

            return 0;
        });
        return command;
    }

    private static Command ServeCommand()
    {
        var peers = new Option<int>("--peers") { Description = "Number of peers (peer0..peerN-1).", DefaultValueFactory = _ => 4 };
        var slots = new Option<int?>("--slots") { Description = "Worker slots per peer (default: Ledger:WorkerSlots, 4)." };
        var basePort = new Option<int>("--base-port") { Description = "Gateway of peer i listens on 127.0.0.1:<base-port + i>; 0 picks free ports.", DefaultValueFactory = _ => 7051 };
        var endorserMsp = new Option<string?>("--endorser-msp") { Description = "MSP whose 'peer' identity signs endorsements (default: the first MSP in <data-dir>/msp)." };
        var dataDir = DataDirOption();
        var command = new Command(
            "serve",
            "Start the peers and the orderer, and expose each peer's Fabric Gateway gRPC service (Evaluate, Endorse, Submit, CommitStatus, " +
            "ChaincodeEvents; HTTP/2 without TLS on loopback) for clients holding identities from 'pipeline ledger init'. Runs until Ctrl+C.")
        {
            peers, slots, basePort, endorserMsp, dataDir,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var options = Options(parse, dataDir);
            options.Peers = parse.GetValue(peers);
            options.WorkerSlots = parse.GetValue(slots) ?? options.WorkerSlots;
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            cancellationToken = stopping.Token;

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stopping.Cancel();
            }

            MembershipRegistry membership;
            try
            {
                membership = MembershipRegistry.Load(options.DataDirectory);
            }
            catch (MspException ex)
            {
                return CliHost.Fail(ex.Message);
            }

            using (membership)
            {
                var msp = parse.GetValue(endorserMsp) ?? membership.MspIds[0];
                if (!membership.MspIds.Contains(msp))
                {
                    return CliHost.Fail($"--endorser-msp {msp} has no material in {MspLayout.Root(options.DataDirectory)} (it has {string.Join(", ", membership.MspIds)})");
                }

                using var logging = CliHost.Logging(LogLevel.Warning);
                LedgerNetwork network;
                try
                {
                    network = await LedgerNetwork.StartAsync(options, loggerFactory: logging, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is LedgerCorruptionException or IOException or ArgumentException)
                {
                    return OpenFailed(ex);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return 0;
                }

                await using (network.ConfigureAwait(false))
                {
                    using var endorser = Signer.FromLedgerDirectory(options.DataDirectory, msp, MspLayout.Peer);
                    EmbeddedGatewayHost host;
                    try
                    {
                        host = await EmbeddedGatewayHost.StartAsync(
                            network,
                            membership,
                            msp,
                            Identity.FromLedgerDirectory(options.DataDirectory, msp, MspLayout.Peer).CertificatePem,
                            bytes => endorser.Sign(bytes.Span),
                            parse.GetValue(basePort),
                            logging,
                            cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or ArgumentException or MspException)
                    {
                        return CliHost.Fail($"gateways could not start: {ex.Message}");
                    }

                    await using (host.ConfigureAwait(false))
                    {
                        Console.WriteLine($"ledger '{options.ChannelName}' in {Path.GetFullPath(options.DataDirectory)}: {network.Peers.Count} peers at height {network.Height}, chaincode '{network.ContractName}'");
                        Console.WriteLine($"trusted MSPs: {string.Join(", ", membership.MspIds)}; endorsing as peer@{msp}");
                        foreach (var endpoint in host.Endpoints)
                        {
                            Console.WriteLine($"  {endpoint.PeerId,-8} gateway {endpoint.Address}");
                        }

                        Console.WriteLine("Ctrl+C stops.");
                        try
                        {
                            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            Console.WriteLine("stopping gateways and peers");
                        }
                    }
                }
            }

            return 0;
        });
        return command;
    }

    private static Command VerifyCommand()
    {
        var dataDir = DataDirOption();
        var command = new Command(
            "verify",
            "Open every peer in the data directory, verify its block file (hash chain, data hashes) and world state, and report the first bad block. Exit code 3 when corrupt.")
        {
            dataDir,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var options = Options(parse, dataDir);
            var existing = LedgerNetwork.CountExistingPeers(options.DataDirectory);
            if (existing == 0)
            {
                return CliHost.Fail($"no ledger peers in {Path.GetFullPath(options.DataDirectory)}");
            }

            options.Peers = existing;
            try
            {
                await using var network = await LedgerNetwork.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
                foreach (var peer in network.Peers)
                {
                    Console.WriteLine($"{peer.Id}: ok, {peer.Height} blocks, last {peer.LastBlockHash}, state {peer.ComputeStateHash()}");
                }
            }
            catch (Exception ex) when (ex is LedgerCorruptionException or IOException or ArgumentException)
            {
                return OpenFailed(ex);
            }

            return 0;
        });
        return command;
    }

    private static Command BenchCommand()
    {
        var peers = new Option<int>("--peers") { Description = "Peers.", DefaultValueFactory = _ => 4 };
        var slots = new Option<int>("--slots") { Description = "Worker slots per peer.", DefaultValueFactory = _ => 4 };
        var apps = new Option<int>("--apps") { Description = "Whitelisted apps submitted first.", DefaultValueFactory = _ => 5000 };
        var launches = new Option<int>("--launches") { Description = "Launches verified (one VerifyExecutions evaluate each).", DefaultValueFactory = _ => 1000 };
        var perLaunch = new Option<int>("--hashes-per-launch") { Description = "Executables per launch.", DefaultValueFactory = _ => 350 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent clients.", DefaultValueFactory = _ => 64 };
        var sync = new Option<bool>("--sync") { Description = "Fsync every block (Ledger:SyncWrites).", DefaultValueFactory = _ => true };
        var transport = new Option<string>("--transport")
        {
            Description = "How verify queries reach the peers: inprocess (direct calls) or gateway (signed proposals to each peer's Fabric Gateway over loopback gRPC).",
            DefaultValueFactory = _ => "inprocess",
        };
        transport.AcceptOnlyFromAmong("inprocess", "gateway");
        var dataDir = DataDirOption();
        var command = new Command(
            "bench",
            "Measure the embedded ledger: submit throughput while whitelisting --apps hashes, then verify throughput and latency " +
            "for --launches launches of --hashes-per-launch executables (90% whitelisted) spread round robin over the peers. " +
            "Uses a fresh temporary data directory unless --data-dir is given. Prints figures; never pass/fail.")
        {
            peers, slots, apps, launches, perLaunch, concurrency, sync, transport, dataDir,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var options = Options(parse, dataDir);
            var temporary = string.IsNullOrWhiteSpace(parse.GetValue(dataDir));
            if (temporary)
            {
                options.DataDirectory = Path.Combine(Path.GetTempPath(), "pipeline-ledger-bench-" + Guid.NewGuid().ToString("N")[..8]);
            }

            options.Peers = parse.GetValue(peers);
            options.WorkerSlots = parse.GetValue(slots);
            options.SyncWrites = parse.GetValue(sync);
            var appCount = parse.GetValue(apps);
            var launchCount = parse.GetValue(launches);
            var hashesPerLaunch = parse.GetValue(perLaunch);
            var clients = parse.GetValue(concurrency);
            if (appCount < 1 || launchCount < 1 || hashesPerLaunch is < 1 or > WhitelistContract.MaxVerifyBatch || clients < 1)
            {
                return CliHost.Fail($"--apps, --launches, --concurrency must be positive and --hashes-per-launch 1..{WhitelistContract.MaxVerifyBatch}");
            }

            try
            {
                await using var network = await LedgerNetwork.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"ledger bench: {options.Peers} peers x {options.WorkerSlots} slots, sync={options.SyncWrites}, batch {options.BatchMaxTransactions}/{options.BatchTimeout.TotalMilliseconds} ms, {Environment.ProcessorCount} cores, {options.DataDirectory}");

                var known = Enumerable.Range(0, appCount).Select(i => BenchHash("app", i)).ToArray();
                var catalogue = new WhitelistCatalogue
                {
                    Apps = known.Select((h, i) => new CatalogueApp
                    {
                        Sha256 = h,
                        AppName = "app" + (i % 500).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        AppVersion = "1." + (i / 500).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        Platform = "windows-x64",
                        OwnerRole = i % 10 == 0 ? OwnerRoles.Admin : OwnerRoles.User,
                    }).ToList(),
                };
                var heightBefore = network.Height;
                var submitWatch = Stopwatch.StartNew();
                var summary = await WhitelistImporter.ImportAsync(network, catalogue, ClientIdentity.Admin("bench-admin", "Org1MSP"), clients, cancellationToken).ConfigureAwait(false);
                submitWatch.Stop();
                var blocks = network.Height - heightBefore;
                Console.WriteLine(
                    $"submit: {summary.AppsCreated} CreateAsset valid ({summary.AlreadyPresent} present, {summary.Invalidated} invalidated) in {submitWatch.Elapsed.TotalSeconds:F2} s = " +
                    $"{summary.AppsCreated / submitWatch.Elapsed.TotalSeconds:F0} tx/s, {blocks} blocks ({(blocks == 0 ? 0 : (double)summary.AppsCreated / blocks):F1} tx/block), committed on all {options.Peers} peers");

                var user = ClientIdentity.User("bench-user", "Org1MSP");
                await using var gateways = parse.GetValue(transport) == "gateway"
                    ? await EmbeddedPeerGateways.StartAsync(network, "Org1MSP", MspLayout.User, loggerFactory: null, cancellationToken).ConfigureAwait(false)
                    : null;
                Func<int, string, Task> verify = gateways is null
                    ? (peerIndex, json) => network.Peers[peerIndex].EvaluateAsync(WhitelistFunctions.VerifyExecutions, [json], user, cancellationToken)
                    : (peerIndex, json) => gateways.GetContract(network.Peers[peerIndex].Id).EvaluateTransactionAsync(WhitelistFunctions.VerifyExecutions, [json], cancellationToken);
                Console.WriteLine(gateways is null
                    ? "transport: in-process calls"
                    : $"transport: Fabric Gateway gRPC, signed proposals as user@Org1MSP to {string.Join(", ", gateways.Endpoints.Select(e => e.Address))}");

                // Warm-up (JIT, RocksDB block cache, gRPC connections) on every peer, not timed.
                for (var p = 0; p < network.Peers.Count; p++)
                {
                    for (var w = 0; w < 5; w++)
                    {
                        await verify(p, JsonSerializer.Serialize(known.Take(hashesPerLaunch).ToArray())).ConfigureAwait(false);
                    }
                }

                var latencies = new double[launchCount];
                var peak = new Dictionary<string, PeerLoad>();
                var next = -1;
                using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var sampler = SampleLoadsAsync(network, peak, sampling.Token);
                var verifyWatch = Stopwatch.StartNew();
                var workers = Enumerable.Range(0, clients).Select(async _ =>
                {
                    int launch;
                    while ((launch = Interlocked.Increment(ref next)) < launchCount)
                    {
                        var hashes = new string[hashesPerLaunch];
                        for (var j = 0; j < hashesPerLaunch; j++)
                        {
                            var k = (launch * 7919) + j;
                            hashes[j] = k % 10 == 9 ? BenchHash("unknown", k) : known[k % known.Length];
                        }

                        var started = Stopwatch.GetTimestamp();
                        await verify(launch % network.Peers.Count, JsonSerializer.Serialize(hashes)).ConfigureAwait(false);
                        latencies[launch] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    }
                }).ToList();
                await Task.WhenAll(workers).ConfigureAwait(false);
                verifyWatch.Stop();
                await sampling.CancelAsync().ConfigureAwait(false);
                await sampler.ConfigureAwait(false);

                Array.Sort(latencies);
                var seconds = verifyWatch.Elapsed.TotalSeconds;
                Console.WriteLine(
                    $"verify: {launchCount} launches x {hashesPerLaunch} hashes in {seconds:F2} s = {launchCount / seconds:F0} launches/s, " +
                    $"{(double)launchCount * hashesPerLaunch / seconds:F0} hash lookups/s; launch latency p50 {Percentile(latencies, 0.50):F1} ms, " +
                    $"p99 {Percentile(latencies, 0.99):F1} ms, max {latencies[^1]:F1} ms ({clients} clients)");
                foreach (var load in peak.Values.OrderBy(l => l.PeerId, StringComparer.Ordinal))
                {
                    Console.WriteLine($"  {load.PeerId}: peak cpu {load.CpuPercent:F1}%  ram {load.RamPercent:F1}% ({load.MemoryBytes / 1024} KiB)  completed {load.CompletedRequests}");
                }
            }
            catch (Exception ex) when (ex is LedgerCorruptionException or IOException or ArgumentException)
            {
                return OpenFailed(ex);
            }
            finally
            {
                if (temporary)
                {
                    Directory.Delete(options.DataDirectory, recursive: true);
                }
            }

            return 0;
        });
        return command;
    }

    private static async Task SampleLoadsAsync(LedgerNetwork network, Dictionary<string, PeerLoad> peak, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var load in network.GetLoads())
                {
                    if (!peak.TryGetValue(load.PeerId, out var seen) || load.CpuPercent > seen.CpuPercent)
                    {
                        peak[load.PeerId] = load;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Sampling ends with the run.
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string BenchHash(string kind, int i) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kind + i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
}
