using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.Platform.Redis;

/// <summary>A real redis-server (Debian package) as a child process on a free loopback port, for
/// the embedded stack. Nothing is kept on disk; the process is killed by its id on dispose.</summary>
public sealed class EmbeddedRedisServer : IAsyncDisposable
{
    public const string ServerPath = "/usr/bin/redis-server";
    public const string InstallCommand = "apt-get update && apt-get install -y redis-server";

    private readonly Process _process;
    private readonly string _directory;

    private EmbeddedRedisServer(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string, e.g. 127.0.0.1:6390.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    public int ProcessId => _process.Id;

    /// <summary>Starts the server and returns once it answers PING.</summary>
    /// <exception cref="InvalidOperationException">Not installed (the message holds the install
    /// command), or it exited or did not answer within 20 s (the message holds its output).</exception>
    public static async Task<EmbeddedRedisServer> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(ServerPath))
        {
            throw new InvalidOperationException($"redis-server is not installed at {ServerPath}; install it with: {InstallCommand}");
        }
        var port = LoopbackPorts.Free();
        var directory = Directory.CreateTempSubdirectory("pipeline-redis-").FullName;
        var start = new ProcessStartInfo(ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var arg in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory })
        {
            start.ArgumentList.Add(arg);
        }
        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + ServerPath);
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new EmbeddedRedisServer(process, port, directory);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await AnswersPingAsync(port, cancellationToken).ConfigureAwait(false))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync().ConfigureAwait(false);
                string text;
                lock (output)
                {
                    text = output.ToString();
                }
                throw new InvalidOperationException($"redis-server on port {port} did not answer PING: {text}");
            }
            // Readiness poll interval; the loop ends on PONG, exit or the deadline.
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover empty temp directory is harmless.
        }
    }

    /// <summary>Whether a Redis server on 127.0.0.1:<paramref name="port"/> answers PING within a second.</summary>
    public static async Task<bool> AnswersPingAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            var buffer = new byte[16];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            var read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
