using System.Diagnostics;
using Xunit;

namespace Pipeline.Testing;

/// <summary>Runs external tools the tests use as independent references (kcat, python3, ...).</summary>
public static class Tools
{
    /// <summary>The tool's full path; fails the test with the exact install command when it is missing.</summary>
    public static string Require(string name, string installCommand)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        Assert.Fail($"{name} is not installed; install it with: {installCommand}");
        return name;
    }

    /// <summary>The repository's root directory (the one holding Pipeline.sln), found from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Pipeline.sln above {AppContext.BaseDirectory}");
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs a tool to completion (bounded by <paramref name="timeout"/>, default 60 s).</summary>
    public static Result Run(string file, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', start.ArgumentList)} did not finish in time");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
