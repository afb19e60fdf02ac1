using System.Diagnostics;

namespace Pipeline.Ledger.Tests;

/// <summary>
/// Runs interop/gateway-interop.js with node against Fabric's own generated JavaScript classes
/// (@hyperledger/fabric-protos, pinned in interop/package-lock.json; installed with npm ci on first use).
/// </summary>
internal static class FabricJavaScript
{
    private static readonly Lazy<string> Directory = new(Prepare, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Runs the script with <paramref name="args"/> and returns its standard output.</summary>
    public static string Run(params string[] args)
    {
        var (code, stdout, stderr) = Exec(Tool("node"), Directory.Value, ["gateway-interop.js", .. args], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"node gateway-interop.js {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    private static string Prepare()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
        {
            dir = dir.Parent;
        }

        var interop = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("no Pipeline.sln above the test assembly"), "tests", "Pipeline.Ledger.Tests", "interop");
        if (!File.Exists(Path.Combine(interop, "node_modules", "@hyperledger", "fabric-protos", "package.json")))
        {
            var (code, _, stderr) = Exec(Tool("npm"), interop, ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"npm ci in {interop} failed ({code}): {stderr}");
        }

        return interop;
    }

    private static string Tool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Assert.Fail($"{name} is not installed; install it with: apt-get install -y nodejs npm");
        return name;
    }

    private static (int Code, string Stdout, string Stderr) Exec(string file, string workingDirectory, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
