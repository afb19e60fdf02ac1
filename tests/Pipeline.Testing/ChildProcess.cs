using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace Pipeline.Testing;

/// <summary>A child process whose output lines are collected as they arrive, so a test can wait
/// for a condition (with a deadline) instead of sleeping. Killed on dispose.</summary>
public sealed partial class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _stdout.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _stderr.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public IReadOnlyCollection<string> Stdout => _stdout;

    public IReadOnlyCollection<string> Stderr => _stderr;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Runs the built <c>pipeline</c> CLI (pipeline.dll beside the test assembly).</summary>
    public static ChildProcess StartPipeline(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "pipeline.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("pipeline.dll is not beside the test assembly; reference cli/Pipeline.Cli from the test project", dll);
        }
        return Start("dotnet", [dll, .. args]);
    }

    public static ChildProcess Start(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}"));
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing the test with the child's
    /// output when the deadline passes.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan within, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > within)
            {
                Assert.Fail($"timed out after {within.TotalSeconds:0} s waiting for {what}.\nstdout tail:\n{Tail(_stdout)}\nstderr tail:\n{Tail(_stderr)}");
            }
            // Polling interval for a condition, not a fix for a race: the condition is re-checked.
            Thread.Sleep(50);
        }
    }

    /// <summary>Sends SIGINT (Ctrl+C) so the child shuts down cleanly.</summary>
    public void Interrupt() => _ = Kill(_process.Id, 2);

    /// <summary>Sends SIGKILL: no shutdown code runs.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    /// <summary>Waits for the exit, then for the last output lines to be collected.</summary>
    public bool WaitForExit(TimeSpan within)
    {
        if (!_process.WaitForExit(within))
        {
            return false;
        }
        _process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private static string Tail(ConcurrentQueue<string> lines) => string.Join('\n', lines.TakeLast(20));

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
