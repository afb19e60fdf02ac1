using System.Diagnostics;
using System.Net;
using System.Text;
using Pipeline.Platform;
using Pipeline.Platform.Redis;
using StackExchange.Redis;
using Xunit;

namespace Pipeline.Testing;

/// <summary>
/// A real <c>redis-server</c> child process on a free loopback port, for integration tests and
/// benchmarks. Usable as an xUnit class fixture (<see cref="IAsyncLifetime"/>) or on its own via
/// <see cref="StartAsync"/>.
/// </summary>
/// <remarks>
/// The server binds 127.0.0.1 only, keeps nothing on disk (<c>--save ""</c>, <c>--appendonly no</c>)
/// and runs in its own temporary directory. <see cref="StartAsync"/> returns only once the server
/// answers PING. <see cref="StopAsync"/> and <see cref="RestartAsync"/> keep the same port, so a
/// client can be shown losing and regaining its server. The process is killed by its id on
/// dispose. Not thread-safe: start, stop and restart from one test at a time.
/// </remarks>
public sealed class RedisServer : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>Where the Debian package installs the server.</summary>
    public const string ServerPath = "/usr/bin/redis-server";

    /// <summary>The command that installs the server when it is missing.</summary>
    public const string InstallCommand = "apt-get update && apt-get install -y redis-server";

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(20);
    private static long _prefixCounter;

    private readonly string _directory;
    private Process? _process;
    private ConnectionMultiplexer? _connection;

    /// <summary>Creates a fixture; nothing starts until <see cref="StartAsync"/>.</summary>
    public RedisServer()
    {
        _directory = Path.Combine(Path.GetTempPath(), "pipeline-redis-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>The loopback port the server listens on (0 before the first start).</summary>
    public int Port { get; private set; }

    /// <summary>The server endpoint as <c>127.0.0.1:port</c>.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The process id of the running server, or null when it is stopped.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// A shared multiplexer connected to the server (created on first use, returned once connected).
    /// It is configured not to abort when the server is down, so it reconnects by itself after
    /// <see cref="RestartAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No connection within the start deadline.</exception>
    public ConnectionMultiplexer Connection => _connection ??= ConnectAndWait();

    // Connect gives up after ConnectTimeout and, without AbortOnConnectFail, returns a multiplexer that keeps
    // connecting in the background; with the fail-fast backlog its first command would then throw "No connection
    // is active/available" (seen on a loaded CI machine). So wait for the connection, bounded.
    private ConnectionMultiplexer ConnectAndWait()
    {
        var connection = ConnectionMultiplexer.Connect(CreateConfiguration());
        var clock = Stopwatch.StartNew();
        using var changed = new ManualResetEventSlim();
        void OnRestored(object? sender, ConnectionFailedEventArgs e) => changed.Set();
        connection.ConnectionRestored += OnRestored;
        try
        {
            while (!connection.IsConnected)
            {
                if (clock.Elapsed > StartDeadline)
                {
                    connection.Dispose();
                    throw new InvalidOperationException($"no connection to redis-server at {Endpoint} within {StartDeadline.TotalSeconds:0} s");
                }
                // Woken by the reconnect event; the timeout only re-checks IsConnected in case the event came first.
                changed.Wait(TimeSpan.FromMilliseconds(100));
                changed.Reset();
            }
        }
        finally
        {
            connection.ConnectionRestored -= OnRestored;
        }
        return connection;
    }

    /// <summary>A key prefix no other test in this process shares, e.g. <c>t7:1f3a...:</c>.</summary>
    public static string NewKeyPrefix() =>
        $"t{Interlocked.Increment(ref _prefixCounter)}:{Guid.NewGuid():N}:";

    /// <summary>
    /// Client options for this server: no abort on connect failure, fail fast while disconnected,
    /// short timeouts, so a test of an outage sees errors instead of a queued backlog.
    /// </summary>
    public ConfigurationOptions CreateConfiguration()
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectTimeout = 2000,
            SyncTimeout = 5000,
            AsyncTimeout = 5000,
            ConnectRetry = 1,
            ReconnectRetryPolicy = new LinearRetry(100),
        };
        options.EndPoints.Add(IPAddress.Loopback, Port);
        return options;
    }

    /// <summary>Starts the server on a free loopback port and waits until it answers PING.</summary>
    /// <exception cref="InvalidOperationException">
    /// redis-server is not installed (the message holds the install command), or it did not
    /// answer before the deadline (the message holds its output).
    /// </exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(ServerPath))
        {
            throw new InvalidOperationException(
                $"redis-server is not installed at {ServerPath}; install it with: {InstallCommand}");
        }

        if (IsRunning)
        {
            return;
        }

        if (Port == 0)
        {
            Port = LoopbackPorts.Free();
        }

        Directory.CreateDirectory(_directory);
        await LaunchAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the server (the port stays reserved for <see cref="RestartAsync"/>).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Starts the server again on the same port, empty, and waits until it answers PING.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        await StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task InitializeAsync() => StartAsync();

    /// <inheritdoc />
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync().ConfigureAwait(false);

    /// <summary>Closes the shared connection, kills the server by process id and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }

        await StopAsync().ConfigureAwait(false);
        try
        {
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; the server is already gone.
        }
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(ServerPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            "--appendonly", "no",
            "--dir", _directory,
            "--daemonize", "no",
            "--logfile", string.Empty,
        })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = DateTime.UtcNow + StartDeadline;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                _process = null;
                process.Dispose();
                throw new InvalidOperationException(
                    $"redis-server exited on port {Port} before answering PING: {Snapshot(output)}");
            }

            if (await EmbeddedRedisServer.AnswersPingAsync(Port, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                await StopAsync(cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"redis-server on port {Port} did not answer PING within {StartDeadline.TotalSeconds} s: {Snapshot(output)}");
            }

            // Poll interval of the readiness check, not a race fix: the loop ends on PONG or the deadline.
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length < 8192)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
